"""The opt-out detector (calling-compliance.md §7 rule 9): the phrase list and DTMF 9; and the
wrong-number detector (rule 17)."""

import pytest

from leads.compliance.optout import (
    OPT_OUT_PHRASES,
    dtmf_opt_out,
    opt_out_detect,
    wrong_number_detect,
)


@pytest.mark.parametrize(
    "text",
    [
        "please remove me from your list",  # §7 rule 9 test
        "Stop calling me.",
        "stop calling me at 10",  # §7 rule 8 test
        "Please stop calling me. Take me off your list.",
        "please take me off your list",
        "Don't call this number again",
        "Don\u2019t call me",  # a typographic apostrophe, as transcribers write it
        "do not call me",
        "Put me on your do not call list",
        "never call me again",
        "Remove my number, thanks",
        "UNSUBSCRIBE",
        "I want to opt out",
        "I'd like to opt-out",
        "I revoke my consent",
        "No more calls, please.",
        "lead emailed: don't call",  # §7 rule 9 staff-note test
    ],
)
def test_opt_out_phrases_are_detected(text):
    assert opt_out_detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "can you stop by Tuesday?",  # §7 rule 9 test
        "I'll stop by after work",
        "Call me back tomorrow, please.",
        "Do you take pets?",
        "I never called before",
        "Remove the carpet from the bedroom?",
        "stopcalling",  # no word boundary
        "",
    ],
)
def test_other_sentences_are_not_opt_outs(text):
    assert not opt_out_detect(text)


def test_every_listed_phrase_is_detected_on_its_own():
    assert all(opt_out_detect(phrase.upper()) for phrase in OPT_OUT_PHRASES)


@pytest.mark.parametrize(
    "digits", ["9", " 9 ", "9#", "*9", "DTMF: 9", "<dtmf>9</dtmf>", "pressed 9"]
)
def test_keypad_nine_is_an_opt_out(digits):
    assert dtmf_opt_out(digits)


@pytest.mark.parametrize("digits", ["", "1", "99", "19", "I have 9 cats", "unit 9"])
def test_other_keys_and_numbers_in_speech_are_not(digits):
    assert not dtmf_opt_out(digits)


@pytest.mark.parametrize(
    "text",
    [
        "wrong number",  # §7 rule 17
        "Sorry, you have the wrong number.",
        "I think you've got the wrong-number, buddy",
        "There is no Maria here.",
        "There\u2019s no Maria Lopez here",
        "there's no Jordan living here",
        "No one by that name.",
        "Nobody here by that name, sorry",
        "no-one lives here by that name",
    ],
)
def test_wrong_number_phrases_are_detected(text):
    assert wrong_number_detect(text)


@pytest.mark.parametrize(
    "text",
    [
        "can you stop by Tuesday?",
        "there's no parking here?",  # a question about the property, not a name
        "Is there no One here to help?",
        "there is no Way here",
        "What is the number of the leasing office?",
        "I dialled the number you gave me",
        "",
    ],
)
def test_other_sentences_are_not_wrong_numbers(text):
    assert not wrong_number_detect(text)
