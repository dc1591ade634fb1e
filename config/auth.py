"""JWT token endpoints (simplejwt), documented for the OpenAPI schema.

Access tokens are short-lived; refreshing rotates the refresh token and blacklists the used one
(settings.SIMPLE_JWT), so a refresh token works once.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework_simplejwt import views as jwt_views


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
    pass


@extend_schema_view(
    post=extend_schema(
        summary="Check a token",
        description="200 with an empty object when the token is valid; 401 otherwise.",
    )
)
class TokenVerifyView(jwt_views.TokenVerifyView):
    pass
