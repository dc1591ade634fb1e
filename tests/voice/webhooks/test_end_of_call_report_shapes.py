"""Every end-of-call-report shape Vapi sends, and every Call object GET /call/{id} returns, leaves
the call log with its transcript, messages and recording (voice/calls/mapping.py reads each
place, newest shape first)."""

import copy

import pytest

from tests.voice.webhook_helpers import (
    load_vapi_fixture,
    post_vapi,
    world_fixture,  # noqa: F401 - pytest fixture `world`
)
from voice.calls.mapping import call_log_fields_from_vapi
from voice.calls.sync import call_log_save_from_vapi
from voice.models import CallLog, WebhookEvent

pytestmark = pytest.mark.django_db

SHAPES = [
    "end_of_call_report",  # today's: nested `recording` and the deprecated flat URLs
    "end_of_call_report__artifact_recording",  # nested `recording` only
    "end_of_call_report__flat_recording_urls",  # flat artifact URLs only
    "end_of_call_report__top_level",  # older: everything at the top of the message
]
STORAGE = "https://storage.vapi.ai"


@pytest.mark.parametrize("name", SHAPES)
def test_each_report_shape_leaves_transcript_messages_and_recording(client, world, name):
    response = post_vapi(client, world.fixture(name))

    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "processed"
    call_log = CallLog.objects.get(vapi_call_id=world.call_id)
    assert call_log.transcript.startswith("AI: Thanks for calling Harbor View Apartments")
    assert [m["role"] for m in call_log.messages] == [
        "system",
        "bot",
        "user",
        "tool_calls",
        "tool_call_result",
    ]
    assert call_log.recording_url == f"{STORAGE}/{world.call_id}-mono.wav"
    assert call_log.stereo_recording_url == f"{STORAGE}/{world.call_id}-stereo.wav"
    assert call_log.duration_seconds == 278


def _report(name: str = "end_of_call_report") -> dict:
    return load_vapi_fixture(name, call_id="c1")["message"]


def _fields(report: dict) -> dict:
    return call_log_fields_from_vapi(call=report["call"], report=report)


def test_an_older_reports_top_level_summary_is_read():
    report = _report("end_of_call_report__top_level")
    del report["analysis"]["summary"]

    assert _fields(report)["summary"].startswith("Jordan Lee called about a 2-bedroom")


def test_the_nested_recording_wins_over_the_flat_urls():
    report = _report()
    report["artifact"]["recordingUrl"] = "https://old.example/mono.wav"
    report["artifact"]["stereoRecordingUrl"] = "https://old.example/stereo.wav"

    fields = _fields(report)

    assert fields["recording_url"] == f"{STORAGE}/c1-mono.wav"
    assert fields["stereo_recording_url"] == f"{STORAGE}/c1-stereo.wav"


def test_the_artifact_wins_over_the_top_level_and_the_top_level_over_the_call():
    report = _report()
    report.update(transcript="top", messages=[{"role": "bot"}], recordingUrl="https://top/m.wav")
    report["call"].update(transcript="call", recordingUrl="https://call/m.wav")
    fields = _fields(report)
    assert fields["transcript"].startswith("AI: Thanks for calling")
    assert len(fields["messages"]) == 5
    assert fields["recording_url"] == f"{STORAGE}/c1-mono.wav"

    del report["artifact"]
    fields = _fields(report)
    assert (fields["transcript"], fields["messages"]) == ("top", [{"role": "bot"}])
    assert fields["recording_url"] == "https://top/m.wav"
    assert "stereo_recording_url" not in fields

    for key in ("transcript", "messages", "recordingUrl"):
        del report[key]
    fields = _fields(report)
    assert (fields["transcript"], fields["recording_url"]) == ("call", "https://call/m.wav")


def test_without_a_mono_mix_the_stereo_file_then_one_side_is_the_recording():
    report = _report("end_of_call_report__artifact_recording")
    del report["artifact"]["recording"]["mono"]["combinedUrl"]
    assert _fields(report)["recording_url"] == f"{STORAGE}/c1-stereo.wav"

    del report["artifact"]["recording"]["stereoUrl"]
    fields = _fields(report)
    assert fields["recording_url"] == f"{STORAGE}/c1-assistant.wav"
    assert "stereo_recording_url" not in fields


def test_unusable_values_are_skipped_for_the_next_place():
    report = _report()
    report["artifact"].update(transcript={"text": "x"}, messages=[], recordingUrl="ftp://x")
    report["artifact"]["recording"] = {"mono": {"combinedUrl": None}, "stereoUrl": 7}
    report.update(transcript="top", messages=[{"role": "user"}])

    fields = _fields(report)

    assert (fields["transcript"], fields["messages"]) == ("top", [{"role": "user"}])
    assert fields["stereo_recording_url"] == f"{STORAGE}/c1-stereo.wav"  # the flat fallback
    assert fields["recording_url"] == f"{STORAGE}/c1-stereo.wav"


# GET /call/{id} (sync_calls, ?refresh=true): the same readers, on the Call object -------------


def _ended_call(artifact: dict | None = None, **flat) -> dict:
    call = copy.deepcopy(_report()["call"])
    call.update(status="ended", endedReason="customer-ended-call", **flat)
    if artifact is not None:
        call["artifact"] = artifact
    return call


@pytest.mark.parametrize(
    "call",
    [
        _ended_call(
            {
                "transcript": "AI: Hi",
                "messages": [{"role": "bot", "message": "Hi"}],
                "recording": {
                    "stereoUrl": "https://r/s.wav",
                    "mono": {"combinedUrl": "https://r/m.wav"},
                },
            }
        ),
        _ended_call(
            {
                "transcript": "AI: Hi",
                "messages": [{"role": "bot", "message": "Hi"}],
                "recordingUrl": "https://r/m.wav",
                "stereoRecordingUrl": "https://r/s.wav",
            }
        ),
        _ended_call(
            transcript="AI: Hi",
            messages=[{"role": "bot", "message": "Hi"}],
            recordingUrl="https://r/m.wav",
            stereoRecordingUrl="https://r/s.wav",
        ),
    ],
    ids=["artifact_recording", "flat_recording_urls", "flat_call"],
)
def test_each_call_object_shape_from_get_call_is_saved_whole(call):
    call_log = call_log_save_from_vapi(call=call).call_log

    call_log.refresh_from_db()
    assert call_log.transcript == "AI: Hi"
    assert call_log.messages == [{"role": "bot", "message": "Hi"}]
    assert (call_log.recording_url, call_log.stereo_recording_url) == (
        "https://r/m.wav",
        "https://r/s.wav",
    )
