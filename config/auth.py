"""JWT token endpoints (simplejwt), documented for the OpenAPI schema.

Access tokens are short-lived; refreshing rotates the refresh token and blacklists the used one
(settings.SIMPLE_JWT), so a refresh token works once — also when it is sent many times at once.
"""

from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt import views as jwt_views
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings


class SingleUseTokenRefreshSerializer(TokenRefreshSerializer):
    """simplejwt checks the blacklist, then blacklists with `get_or_create`: two concurrent
    requests both pass the check, and the loser's `get_or_create` finds the winner's row and
    carries on, so one refresh token could yield several pairs. Here the blacklist row itself is
    the lock: its token is unique (a one-to-one), so exactly one request creates it; any request
    that did not create it is refused, and the new pair is issued in the same transaction."""

    def validate(self, attrs: dict[str, Any]) -> dict[str, str]:
        refresh = self.token_class(attrs["refresh"])  # signature, expiry, blacklist check
        user_id = refresh.payload.get(api_settings.USER_ID_CLAIM)
        user = get_user_model().objects.filter(**{api_settings.USER_ID_FIELD: user_id}).first()
        if user_id and (user is None or not api_settings.USER_AUTHENTICATION_RULE(user)):
            raise AuthenticationFailed(
                self.error_messages["no_active_account"], "no_active_account"
            )
        data = {"access": str(refresh.access_token)}
        with transaction.atomic():
            _, created = refresh.blacklist()
            if not created:
                raise InvalidToken("Token is blacklisted")
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.outstand()
        data["refresh"] = str(refresh)
        return data


@extend_schema_view(
    post=extend_schema(
        summary="Get an access and a refresh token",
        description="Username and password in, `access` (Bearer) and `refresh` tokens out.",
    )
)
class TokenObtainView(jwt_views.TokenObtainPairView):
    pass


@extend_schema_view(
    post=extend_schema(
        summary="Exchange a refresh token for new tokens",
        description="Returns a new access token and a new refresh token; the old refresh token "
        "is blacklisted and cannot be used again.",
    )
)
class TokenRefreshView(jwt_views.TokenRefreshView):
    serializer_class = SingleUseTokenRefreshSerializer


@extend_schema_view(
    post=extend_schema(
        summary="Check a token",
        description="200 with an empty object when the token is valid; 401 otherwise.",
    )
)
class TokenVerifyView(jwt_views.TokenVerifyView):
    pass
