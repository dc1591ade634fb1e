"""Plays a simulated call: the webhook messages Vapi would send, signed, in order.

Payload shapes follow vapi-reference.md §8: every message is `{"message": {...}}` with `type`,
`timestamp` (epoch ms), `call` (the Call object, with `assistantOverrides` carrying our
metadata), `phoneNumber`, `customer` and `assistant`. Deliveries are signed the way HELPERS.md's
webhook-auth contract says (HMAC over "{timestamp}.{body}", or the X-Vapi-Secret header).

Messages go where Vapi sends them (§8.1): tool-calls to the tool's server if it has one, then the
assistant's server, then the phone number's, then the org's (SimulatorConfig.webhook_url); and
only the types the assistant subscribed to in serverMessages (§4.4).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import logging
import re
import time
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from voice.simulator import validation
from voice.simulator.state import VapiObject, now_iso

if TYPE_CHECKING:
    from voice.simulator.app import VapiSimulator


logger = logging.getLogger("voice.simulator")


# vapi-reference.md §4.4: what Vapi sends when an assistant sets no serverMessages.
DEFAULT_SERVER_MESSAGES = (
    "conversation-update",
    "end-of-call-report",
    "function-call",
    "hang",
    "speech-update",
    "status-update",
    "tool-calls",
    "transfer-destination-request",
    "handoff-destination-request",
    "user-interrupted",
    "assistant.started",
)


WORDS_PER_SECOND = 2.6


COST_PER_MINUTE = 0.11


def sign_headers(
    body: bytes, *, secret: str, mode: str, now_ms: int | None = None
) -> dict[str, str]:
    """The auth headers for one delivery (HELPERS.md "Webhook auth")."""
    if not secret:
        return {}
    if mode == "secret":
        return {"X-Vapi-Secret": secret}
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return {"x-timestamp": timestamp, "x-signature": digest.hexdigest()}


def credential_headers(
    body: bytes, *, credential: VapiObject | None, url: str, now_ms: int | None = None
) -> dict[str, str]:
    """The auth headers Vapi adds for a server's credential (vapi-reference.md §9.2, OAS
    HMACAuthenticationPlan / BearerAuthenticationPlan with their documented defaults); none for
    no credential or a plan the simulator does not play (oauth2)."""
    plan = (credential or {}).get("authenticationPlan") or {}
    if plan.get("type") == "bearer":
        token = str(plan.get("token", ""))
        prefix = "Bearer " if plan.get("bearerPrefixEnabled", True) else ""
        return {str(plan.get("headerName") or "Authorization"): prefix + token}
    if plan.get("type") != "hmac":
        return {}
    timestamp = str(now_ms if now_ms is not None else int(time.time() * 1000))
    message_id = str(uuid.uuid4())
    include_timestamp = plan.get("includeTimestamp", True)
    default_format = "{timestamp}.{body}" if include_timestamp else "{body}"
    payload_format = str(plan.get("payloadFormat") or default_format)
    # Placeholders of payloadFormat; {body} is the exact bytes sent (§9.2 (b)).
    head, _, tail = payload_format.partition("{body}")

    def fill(text: str) -> bytes:
        for name, value in (
            ("{timestamp}", timestamp),
            ("{method}", "POST"),
            ("{url}", url),
            ("{svix-id}", message_id),
        ):
            text = text.replace(name, value)
        return text.encode()

    payload = fill(head) + (body + fill(tail) if "{body}" in payload_format else b"")
    key = str(plan["secretKey"])
    key_bytes = base64.b64decode(key) if plan.get("secretIsBase64") else key.encode()
    digest = hmac.new(key_bytes, payload, getattr(hashlib, plan.get("algorithm", "sha256")))
    encoded = (
        base64.b64encode(digest.digest()).decode()
        if plan.get("signatureEncoding") == "base64"
        else digest.hexdigest()
    )
    headers = {
        str(plan.get("signatureHeader") or "x-signature"): str(plan.get("signaturePrefix") or "")
        + encoded
    }
    if include_timestamp:
        headers[str(plan.get("timestampHeader") or "x-timestamp")] = timestamp
    if plan.get("messageIdHeader"):
        headers[str(plan["messageIdHeader"])] = message_id
    return headers


class CallEnded(Exception):
    """Raised inside a scenario when the call cannot go on (e.g. no assistant)."""


class Conversation:
    """One call in progress: its effective assistant, transcript, clock and webhook sender."""

    def __init__(self, sim: VapiSimulator, call: VapiObject, *, inbound: bool) -> None:
        self.sim = sim
        self.call = call
        self.inbound = inbound
        self.phone_number = copy.deepcopy(
            sim.state.phone_numbers.get(call.get("phoneNumberId"), {})
        )
        self.assistant: VapiObject = {}
        self.messages: list[VapiObject] = []
        self.transcript: list[str] = []
        self.seconds = 0.0  # simulated time since the call was answered
        self.started_ms: int | None = None
        self._last_timestamp = 0
        self.ended = False
        self.destination: VapiObject | None = None
        # compliancePlan.recordingConsentPlan (vapi-reference.md §12.12): does the caller agree
        # (scenarios set it), and the `compliance.recordingConsent` the call reports.
        self.recording_consent = True
        self.consent: VapiObject | None = None
        self._http = httpx.Client(timeout=sim.config.webhook_timeout)

    # Who is calling ------------------------------------------------------------------------------

    @property
    def caller_name(self) -> tuple[str, str]:
        name = (self.call.get("customer") or {}).get("name") or "Alex Rivera"
        first, _, last = name.partition(" ")
        return first, last or "Rivera"

    @property
    def caller_number(self) -> str:
        return (self.call.get("customer") or {}).get("number", "")

    @property
    def metadata(self) -> VapiObject:
        merged = dict(self.assistant.get("metadata") or {})
        merged.update((self.call.get("assistantOverrides") or {}).get("metadata") or {})
        return merged

    # Assistant resolution ------------------------------------------------------------------------

    def resolve_assistant(self) -> None:
        """The assistant + overrides in effect; for inbound calls without one, ask our server."""
        with self.sim.state.lock:
            saved = copy.deepcopy(self.sim.state.assistants.get(self.call.get("assistantId") or ""))
        base = saved or copy.deepcopy(self.call.get("assistant")) or None
        if base is None and self.inbound:
            base = self._assistant_request()
        if base is None:
            self.end("assistant-not-found", send_report=False)
            raise CallEnded
        overrides = copy.deepcopy(self.call.get("assistantOverrides") or {})
        overrides.pop("variableValues", None)
        base_metadata = base.get("metadata") or {}
        self.assistant = {**base, **overrides}
        self.assistant["metadata"] = {**base_metadata, **(overrides.get("metadata") or {})}

    def _assistant_request(self) -> VapiObject | None:
        """vapi-reference.md §8.5 / §10.5: the number has no assistant, so ask the server."""
        response = self.send("assistant-request", {}, expect_response=True)
        if not isinstance(response, dict):
            self.end("assistant-request-failed")
            raise CallEnded
        if response.get("error"):
            self.say_bot(str(response["error"]))
            self.end("assistant-request-returned-error")
            raise CallEnded
        if response.get("destination"):
            self.dial(response["destination"])
            self.set_status("forwarding")
            self.end("assistant-request-returned-forwarding-phone-number")
            raise CallEnded
        if validation.validate_assistant_request_response(response):
            self.end("assistant-request-returned-invalid-assistant")
            raise CallEnded
        overrides = response.get("assistantOverrides")
        if overrides:
            merged = {**(self.call.get("assistantOverrides") or {}), **overrides}
            self.call["assistantOverrides"] = merged
        if response.get("assistantId"):
            with self.sim.state.lock:
                found = copy.deepcopy(self.sim.state.assistants.get(response["assistantId"]))
            if found is None:
                self.end("assistant-not-found")
                raise CallEnded
            self.call["assistantId"] = response["assistantId"]
            self._save()
            return found
        if response.get("assistant"):
            self.call["assistant"] = response["assistant"]
            self._save()
            return copy.deepcopy(response["assistant"])
        self.end("assistant-request-returned-no-assistant")
        raise CallEnded

    # Delivery ------------------------------------------------------------------------------------

    def _subscribed(self, message_type: str) -> bool:
        if message_type == "assistant-request" or not self.assistant:
            return True  # phone-number level, or no assistant yet to filter with
        wanted = self.assistant.get("serverMessages")
        if wanted is None:
            wanted = DEFAULT_SERVER_MESSAGES
        if message_type == "transcript":
            return "transcript" in wanted or 'transcript[transcriptType="final"]' in wanted
        return message_type in wanted

    def _url(self, message_type: str, tool: VapiObject | None = None) -> str:
        return self._server(message_type, tool).get("url") or self.sim.config.webhook_url

    def _server(self, message_type: str, tool: VapiObject | None = None) -> VapiObject:
        """The server a message goes to (§8.1); {} for the org's (SimulatorConfig.webhook_url)."""
        for server in (
            (tool or {}).get("server") if message_type == "tool-calls" else None,
            self.assistant.get("server"),
            self.phone_number.get("server"),
        ):
            if isinstance(server, dict) and server.get("url"):
                return server
        return {}

    def _timestamp(self) -> int:
        # Strictly increasing: receivers dedupe and order on it (vapi-reference.md §10.1).
        self._last_timestamp = max(int(time.time() * 1000), self._last_timestamp + 1)
        return self._last_timestamp

    def send(
        self,
        message_type: str,
        fields: VapiObject,
        *,
        expect_response: bool = False,
        tool: VapiObject | None = None,
    ) -> Any:
        if not self._subscribed(message_type):
            return None
        message: VapiObject = {
            "type": message_type,
            "timestamp": self._timestamp(),
            **fields,
            "call": copy.deepcopy(self.call),
            "phoneNumber": copy.deepcopy(self.phone_number),
            "customer": copy.deepcopy(self.call.get("customer") or {}),
        }
        if self.assistant:
            message["assistant"] = copy.deepcopy(self.assistant)
        body = json.dumps({"message": message}, separators=(",", ":")).encode()
        url = self._url(message_type, tool)
        headers = {"Content-Type": "application/json", "User-Agent": "vapi-simulator"}
        server_headers = (self.assistant.get("server") or {}).get("headers") or {}
        headers.update({str(k): str(v) for k, v in server_headers.items()})
        config = self.sim.config
        if config.real_vapi:
            credential_id = self._server(message_type, tool).get("credentialId")
            credential = self.sim.state.credential(credential_id)
            headers.update(credential_headers(body, credential=credential, url=url))
        else:
            headers.update(
                sign_headers(body, secret=config.webhook_secret, mode=config.webhook_auth_mode)
            )
        entry: VapiObject = {"callId": self.call["id"], "type": message_type, "url": url}
        started = time.monotonic()
        result: Any = None
        try:
            response = self._http.post(url, content=body, headers=headers)
            entry["status"] = response.status_code
            if expect_response and response.is_success:
                try:
                    result = response.json()
                except ValueError:
                    entry["error"] = "response is not JSON"
        except httpx.HTTPError as exc:
            entry["error"] = type(exc).__name__
        entry["ms"] = round((time.monotonic() - started) * 1000)
        self.sim.state.record_delivery(entry)
        logger.info(
            "sim call %s: %s -> %s (%s ms)",
            self.call["id"][:8],
            message_type,
            entry.get("status", entry.get("error")),
            entry["ms"],
        )
        if config.message_delay:
            # Only the real pause is compressed by the time scale (60 = a minute in a second).
            # The timings the payloads report (startedAt, endedAt, message times, durations,
            # cost) come from the simulated clock, `self.seconds`, and stay those of a real
            # call: the app bills, reports and schedules retries from them.
            self.sim.sleep(self.sim.state.scaled_wait(self.call["id"], config.message_delay))
        return result

    # Call lifecycle ------------------------------------------------------------------------------

    def _save(self) -> None:
        self.sim.state.save_call(self.call)

    def set_status(self, status: str, **fields: Any) -> None:
        self.call["status"] = status
        self._save()
        extra: VapiObject = {"status": status, **fields}
        if status == "forwarding" and self.destination:
            extra["destination"] = self.destination
        self.send("status-update", extra)

    def ring(self) -> None:
        self.set_status("queued")
        self.set_status("ringing")

    def answer_silently(self) -> None:
        """The line is picked up (by a person or a voicemail box); nobody has spoken yet."""
        self.started_ms = int(time.time() * 1000)
        self.call["startedAt"] = now_iso()
        self.set_status("in-progress")

    def answer(self) -> None:
        self.answer_silently()
        greeted = False
        plan = self._consent_plan()
        if plan:
            greeted = self._ask_recording_consent(plan)
        mode = self.assistant.get("firstMessageMode", "assistant-speaks-first")
        if mode == "assistant-waits-for-user" and not self.inbound and not greeted:
            self.say_user("Hello?")
        first = self.assistant.get("firstMessage")
        if first:
            self.say_bot(first)

    def _consent_plan(self) -> VapiObject:
        plan = (self.assistant.get("compliancePlan") or {}).get("recordingConsentPlan")
        ok = isinstance(plan, dict) and plan.get("type") in ("verbal", "stay-on-line")
        return plan if ok else {}

    def _ask_recording_consent(self, plan: VapiObject) -> bool:
        """Vapi's consent assistant runs before the assistant (OAS RecordingConsentPlan*): the
        message, then "I agree"/"I disagree" (verbal) or staying on / hanging up (stay-on-line).
        Whether the caller said something first."""
        greeted = plan.get("firstMessageMode") == "assistant-waits-for-user" and not self.inbound
        if greeted:
            self.say_user("Hello?")
        self.say_bot(str(plan.get("message") or "This call may be recorded."))
        kind = plan["type"]
        self.consent = {"type": kind}
        if kind == "verbal":
            self.say_user("I agree." if self.recording_consent else "I disagree.")
        elif not self.recording_consent:
            self.end("customer-ended-call")
            raise CallEnded
        else:
            self.seconds += float(plan.get("waitSeconds") or 3)
        if self.recording_consent:
            self.consent["grantedAt"] = now_iso()
        return greeted

    def _recording_allowed(self) -> bool:
        """artifactPlan.recordingEnabled (default true), and consent when a plan asks for it."""
        if (self.assistant.get("artifactPlan") or {}).get("recordingEnabled") is False:
            return False
        return not self._consent_plan() or bool((self.consent or {}).get("grantedAt"))

    def _log_message(self, role: str, text: str) -> None:
        duration = max(0.6, len(text.split()) / WORDS_PER_SECOND)
        start_ms = (self.started_ms or int(time.time() * 1000)) + int(self.seconds * 1000)
        self.messages.append(
            {
                "role": role,
                "message": text,
                "time": start_ms,
                "endTime": start_ms + int(duration * 1000),
                "secondsFromStart": round(self.seconds, 2),
                "duration": int(duration * 1000),
            }
        )
        self.seconds += duration + 0.4
        self.transcript.append(f"{'AI' if role == 'bot' else 'User'}: {text}")

    def say_bot(self, text: str) -> None:
        self._log_message("bot", text)
        self.send(
            "transcript",
            {"role": "assistant", "transcriptType": "final", "transcript": text},
        )

    def say_user(self, text: str) -> None:
        self._log_message("user", text)
        self.send("transcript", {"role": "user", "transcriptType": "final", "transcript": text})

    # Tools (vapi-reference.md §6, §8.3-§8.5) ------------------------------------------------------

    def _tools(self) -> list[VapiObject]:
        model = self.assistant.get("model") or {}
        return [*(model.get("tools") or []), *(self.assistant.get("tools:append") or [])]

    def _function_tool(self, name: str) -> VapiObject | None:
        for tool in self._tools():
            if tool.get("type") == "function" and (tool.get("function") or {}).get("name") == name:
                return tool
        return None

    def _liquid(self, value: Any) -> Any:
        """The few Liquid variables static parameters use (vapi-reference.md §6.1)."""
        if not isinstance(value, str) or "{{" not in value:
            return value
        variables = {
            "call.id": self.call["id"],
            "customer.number": self.caller_number,
            **{
                str(k): str(v)
                for k, v in (
                    (self.call.get("assistantOverrides") or {}).get("variableValues") or {}
                ).items()
            },
        }
        return re.sub(r"\{\{\s*([\w.]+)\s*\}\}", lambda m: variables.get(m.group(1), ""), value)

    @staticmethod
    def _tool_message(tool: VapiObject, kind: str) -> str | None:
        for message in tool.get("messages") or []:
            if message.get("type") == kind and message.get("content"):
                return message["content"]
        return None

    def tool(self, name: str, arguments: VapiObject) -> tuple[bool, str]:
        """The model calls function tool `name`; returns (succeeded, result or error text)."""
        tool = self._function_tool(name)
        if tool is None:
            logger.warning("sim call %s: the assistant has no %s tool", self.call["id"][:8], name)
            self.say_bot("I'm sorry, I can't help with that on this call.")
            return False, f"no {name} tool"
        declared = ((tool.get("function") or {}).get("parameters") or {}).get("properties") or {}
        # The model only fills parameters the tool declares.
        dropped = sorted(set(arguments) - set(declared))
        if dropped:
            logger.warning(
                "sim call %s: %s does not declare %s", self.call["id"][:8], name, dropped
            )
        args = {k: v for k, v in arguments.items() if k in declared}
        # §6.1: static parameters are merged over the model's arguments.
        for parameter in tool.get("parameters") or []:
            args[parameter["key"]] = self._liquid(parameter["value"])
        call_id = "call_" + uuid.uuid4().hex[:24]
        tool_call = {
            "id": call_id,
            "type": "function",
            "function": {"name": name, "arguments": args},
        }
        start = self._tool_message(tool, "request-start")
        if start:
            self.say_bot(start)
        self.messages.append(
            {
                "role": "tool_calls",
                "message": "",
                "toolCalls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": name, "arguments": json.dumps(args)},
                    }
                ],
                "time": (self.started_ms or 0) + int(self.seconds * 1000),
                "secondsFromStart": round(self.seconds, 2),
            }
        )
        with_call = {k: v for k, v in tool.items() if k != "parameters"}
        response = self.send(
            "tool-calls",
            {
                "toolCallList": [tool_call],
                "toolWithToolCallList": [{**with_call, "toolCall": tool_call}],
                "artifact": {"messages": copy.deepcopy(self.messages)},
            },
            expect_response=True,
            tool=tool,
        )
        ok, text = self._tool_result(response, call_id)
        self.messages.append(
            {
                "role": "tool_call_result",
                "toolCallId": call_id,
                "name": name,
                "result": text if ok else f"Error: {text}",
                "time": (self.started_ms or 0) + int(self.seconds * 1000),
                "secondsFromStart": round(self.seconds, 2),
            }
        )
        self.seconds += 0.8
        if not ok:
            failed = self._tool_message(tool, "request-failed")
            if failed:
                self.say_bot(failed)
        return ok, text

    @staticmethod
    def _tool_result(response: Any, call_id: str) -> tuple[bool, str]:
        """vapi-reference.md §8.5: `results[]` matched by toolCallId, `result` or `error`."""
        if not isinstance(response, dict):
            return False, "no valid response from the server"
        if isinstance(response.get("error"), str):
            return False, response["error"]
        for item in response.get("results") or []:
            if isinstance(item, dict) and item.get("toolCallId") == call_id:
                if item.get("error"):
                    return False, str(item["error"])
                result = item.get("result")
                return True, result if isinstance(result, str) else json.dumps(result)
        return False, "no result for this tool call"

    def end_call(self, **report: Any) -> bool:
        """The model calls the endCall tool (vapi-reference.md §6): the assistant hangs up,
        `assistant-ended-call`. False, and the call goes on, when the assistant has no endCall."""
        if not any(t.get("type") == "endCall" for t in self._tools()):
            logger.warning("sim call %s: the assistant has no endCall tool", self.call["id"][:8])
            return False
        self.messages.append(
            {
                "role": "tool_calls",
                "message": "",
                "toolCalls": [
                    {
                        "id": "call_" + uuid.uuid4().hex[:24],
                        "type": "function",
                        "function": {"name": "endCall", "arguments": "{}"},
                    }
                ],
                "time": (self.started_ms or 0) + int(self.seconds * 1000),
                "secondsFromStart": round(self.seconds, 2),
            }
        )
        self.end("assistant-ended-call", **report)
        return True

    def transfer(self) -> VapiObject | None:
        """The model calls the transferCall tool, as Vapi documents it (vapi-reference.md §6.2):
        a tool with destinations dials the first one (the model picks among them; the scripted
        model takes the first) without asking anyone; a tool without destinations makes Vapi ask
        the server (transfer-destination-request, §8.5) and follow the answer: its `destination`
        is dialled, its `error` is said to the caller and the call goes on untransferred.

        Returns the dialled destination (the scenario then ends the call
        "assistant-forwarded-call", §3.3), or None when nothing was dialled."""
        transfer_tool = next((t for t in self._tools() if t.get("type") == "transferCall"), None)
        if transfer_tool is None:
            logger.warning(
                "sim call %s: the assistant has no transferCall tool", self.call["id"][:8]
            )
            return None
        name = (transfer_tool.get("function") or {}).get("name") or "transferCall"
        self.messages.append(
            {
                "role": "tool_calls",
                "message": "",
                "toolCalls": [
                    {
                        "id": "call_" + uuid.uuid4().hex[:24],
                        "type": "function",
                        "function": {"name": name, "arguments": "{}"},
                    }
                ],
                "time": (self.started_ms or 0) + int(self.seconds * 1000),
                "secondsFromStart": round(self.seconds, 2),
            }
        )
        destinations = transfer_tool.get("destinations") or []
        if destinations:
            destination = copy.deepcopy(destinations[0])
        else:
            response = self.send(
                "transfer-destination-request",
                {"artifact": {"messages": copy.deepcopy(self.messages)}},
                expect_response=True,
            )
            if not isinstance(response, dict):
                failed = self._tool_message(transfer_tool, "request-failed")
                if failed:
                    self.say_bot(failed)
                return None
            if isinstance(response.get("error"), str):
                # vapi-reference.md §12.9 (seen for assistant-request; assumed here too): an
                # empty error is said as Vapi's "Unknown Error".
                self.say_bot(response["error"] or "Unknown Error. Contact Support.")
                return None
            if not isinstance(response.get("destination"), dict):
                return None
            destination = copy.deepcopy(response["destination"])
            spoken = response.get("message") or {}
            if isinstance(spoken, dict) and spoken.get("content"):
                self.say_bot(spoken["content"])
        # §6.2: the destination's message is said before dialling; "" means silence.
        message = destination.get("message", "Transferring the call now")
        if isinstance(message, dict):
            message = message.get("content") or ""
        if isinstance(message, str) and message:
            self.say_bot(message)
        self.dial(destination)
        return destination

    def dial(self, destination: VapiObject) -> None:
        """The call leaves the assistant for `destination`: Call.destination (§3.2) and the
        simulator's record of the numbers it reached (`SimulatorState.transfers`)."""
        self.destination = copy.deepcopy(destination)
        self.call["destination"] = copy.deepcopy(destination)
        self._save()
        self.sim.state.record_transfer(self.call["id"], destination)

    # The end --------------------------------------------------------------------------------------

    def end(
        self,
        reason: str,
        *,
        summary: str = "",
        structured_data: VapiObject | None = None,
        success: bool | None = None,
        opt_out: bool = False,
        send_report: bool = True,
    ) -> None:
        if self.ended:
            return
        self.ended = True
        answered = self.started_ms is not None
        duration = round(self.seconds, 1) if answered else 0.0
        ended_ms = max(int(time.time() * 1000), (self.started_ms or 0) + int(duration * 1000))
        # A start refused at POST /call (app.py) was answered already ended: keep that moment.
        ended_at = self.call.get("endedAt") or _iso_ms(ended_ms)
        cost = round(duration / 60 * COST_PER_MINUTE, 4)
        artifact: VapiObject = {
            "transcript": "\n".join(self.transcript),
            "messages": copy.deepcopy(self.messages),
        }
        if answered and self._recording_allowed():
            base = f"{self.sim.config.public_url.rstrip('/')}/recordings/{self.call['id']}"
            # The current shape is `recording` (OAS Artifact.recording: Recording.stereoUrl,
            # Mono.combinedUrl/assistantUrl/customerUrl). The flat *RecordingUrl copies are
            # deprecated (OAS `deprecated: true`; vapi-reference.md §12.16) but Vapi still sends
            # them beside it (§8.3), so the simulator does too.
            artifact.update(
                {
                    "recordingUrl": f"{base}-mono.wav",
                    "stereoRecordingUrl": f"{base}-stereo.wav",
                    "recording": {
                        "stereoUrl": f"{base}-stereo.wav",
                        "mono": {
                            "combinedUrl": f"{base}-mono.wav",
                            "assistantUrl": f"{base}-assistant.wav",
                            "customerUrl": f"{base}-customer.wav",
                        },
                    },
                }
            )
        analysis: VapiObject = {}
        if answered:
            facts = {**(structured_data or {}), "summary": summary, "success": bool(success)}
            analysis = self._analysis(facts)
            outputs = self._structured_outputs({**facts, "opt_out": opt_out})
            if outputs:
                artifact["structuredOutputs"] = outputs
        costs, breakdown = self._costs(duration, cost)
        self.call.update(
            {
                "endedReason": reason,
                "endedAt": ended_at,
                "cost": cost,
                "costs": costs,
                "costBreakdown": breakdown,
                "artifact": artifact,
                "analysis": analysis,
            }
        )
        if self.destination:
            self.call["destination"] = self.destination
        if self._consent_plan():
            # OAS Call.compliance / Compliance.recordingConsent: no grantedAt = not granted.
            consent = self.consent or {"type": self._consent_plan()["type"]}
            self.call["compliance"] = {"recordingConsent": copy.deepcopy(consent)}
        # The call is over, and its slot free, before Vapi reports it (the ended status-update and
        # the report follow): a dialler that starts the next call on that report never finds the
        # account over its limit (vapi-reference.md §1, "call concurrency").
        self.sim.state.call_finished(self.call["id"])
        self.set_status("ended", endedReason=reason)
        if not send_report:
            return
        report: VapiObject = {
            "endedReason": reason,
            "endedAt": ended_at,
            "cost": cost,
            "costs": costs,
            # Transcript, recording and messages live in artifact, the summary in analysis
            # (vapi-reference.md §3.2; no legacy top-level copies, as in SDK 3.0.0's schema).
            "analysis": analysis,
            "artifact": artifact,
        }
        if answered:
            report["startedAt"] = self.call["startedAt"]
        if self.destination:
            report["destination"] = self.destination
        if "compliance" in self.call:
            report["compliance"] = copy.deepcopy(self.call["compliance"])
        self.send("end-of-call-report", report)

    def _analysis(self, facts: VapiObject) -> VapiObject:
        """`analysis` as the assistant's (deprecated) analysisPlan makes it. OAS SummaryPlan and
        SuccessEvaluationPlan default to enabled, StructuredDataPlan to disabled: an assistant
        without an analysisPlan still gets a summary and a verdict, but no structuredData."""
        plan = self.assistant.get("analysisPlan") or {}
        analysis: VapiObject = {}
        if (plan.get("summaryPlan") or {}).get("enabled", True):
            analysis["summary"] = facts["summary"]
        data_plan = plan.get("structuredDataPlan") or {}
        if data_plan.get("enabled"):
            properties = (data_plan.get("schema") or {}).get("properties") or {}
            analysis["structuredData"] = {k: v for k, v in facts.items() if k in properties}
        if (plan.get("successEvaluationPlan") or {}).get("enabled", True):
            analysis["successEvaluation"] = "true" if facts["success"] else "false"
        return analysis

    def _structured_outputs(self, facts: VapiObject) -> VapiObject:
        """`artifact.structuredOutputs` (vapi-reference.md §12.4): `{id: {name, result}}` for the
        outputs in the assistant's artifactPlan (saved ones by id, transient ones inline).

        Vapi asks an LLM; the simulator answers from the scenario's facts instead: an object
        schema gets the facts named by its properties, any other schema the fact whose key the
        output's name ends with (`leasing_call_summary` -> summary), else null."""
        plan = self.assistant.get("artifactPlan") or {}
        with self.sim.state.lock:
            saved = [
                (output_id, copy.deepcopy(self.sim.state.structured_outputs.get(output_id)))
                for output_id in plan.get("structuredOutputIds") or []
            ]
        transient = [(str(uuid.uuid4()), output) for output in plan.get("structuredOutputs") or []]
        results: VapiObject = {}
        for output_id, output in [*saved, *transient]:
            if not isinstance(output, dict):
                continue
            schema = output.get("schema") or {}
            if schema.get("type") == "object":
                properties = schema.get("properties") or {}
                result: Any = {k: v for k, v in facts.items() if k in properties}
            else:
                name = str(output.get("name", "")).replace("-", "_")
                keys = sorted((k for k in facts if name.endswith(k)), key=len, reverse=True)
                result = facts[keys[0]] if keys else None
            results[output_id] = {"name": output.get("name"), "result": result}
        return results

    def _costs(self, duration: float, cost: float) -> tuple[list[VapiObject], VapiObject]:
        """Call.costs items and costBreakdown, shaped like SDK 3.0.0's CallCostsItem_*."""
        minutes = round(duration / 60, 4)
        spoken = sum(len(m.get("message", "")) for m in self.messages if m["role"] == "bot")
        prompt_tokens, completion_tokens = 1800 * len(self.messages), spoken // 4
        shares = {"transport": 0.2, "stt": 0.15, "llm": 0.25, "tts": 0.2, "vapi": 0.2}
        part = {key: round(cost * share, 4) for key, share in shares.items()}
        costs = [
            {
                "type": "transport",
                "provider": "vapi.sip",
                "minutes": minutes,
                "cost": part["transport"],
            },
            {
                "type": "transcriber",
                "transcriber": copy.deepcopy(self.assistant.get("transcriber") or {}),
                "minutes": minutes,
                "cost": part["stt"],
            },
            {
                "type": "model",
                "model": {
                    k: v
                    for k, v in (self.assistant.get("model") or {}).items()
                    if k in ("provider", "model")
                },
                "promptTokens": prompt_tokens,
                "completionTokens": completion_tokens,
                "cost": part["llm"],
            },
            {
                "type": "voice",
                "voice": copy.deepcopy(self.assistant.get("voice") or {}),
                "characters": spoken,
                "cost": part["tts"],
            },
            {"type": "vapi", "subType": "normal", "minutes": minutes, "cost": part["vapi"]},
        ]
        breakdown = {
            **part,
            "total": cost,
            "llmPromptTokens": prompt_tokens,
            "llmCompletionTokens": completion_tokens,
            "ttsCharacters": spoken,
        }
        return costs, breakdown

    def close(self) -> None:
        self._http.close()


def _iso_ms(epoch_ms: int) -> str:
    moment = datetime.fromtimestamp(epoch_ms / 1000, tz=UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
