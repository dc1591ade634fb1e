"""How the scripted model reads a tool result: the facts it may say, the instructions it follows.

Our webhook answers tools for the model (voice/webhooks/tools.py): facts, then what to do with
them ("Confirm the time with the caller and tell them where to meet: ..."). A real model follows
the instructions and says the facts in its own words. The simulator's scripted model does the
same through `read_tool_result`, so that no instruction is ever read aloud to a caller.

The split is by sentence (and by "; " clause): a part that starts with an imperative (Offer,
Confirm, Tell, Do not, Next:, ...) is an instruction, the rest are facts. A fact an instruction
carries after its colon (the address, the free times) is reached with `ToolReply.detail`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# How the model-facing parts of a result start (compared in lower case, whole words). Sentences
# addressed to the model are imperatives; facts are statements ("That time is fully booked.").
INSTRUCTION_STARTS = (
    "offer",
    "confirm",
    "tell",
    "do not",
    "don't",
    "never",
    "ask",
    "use",
    "suggest",
    "stay",
    "say",
    "answer",
    "note",
    "next",
    "then",
    "transfer the",
    "you may",
)
_INSTRUCTION = re.compile(
    r"^(?:" + "|".join(re.escape(start) for start in INSTRUCTION_STARTS) + r")\b", re.IGNORECASE
)
# A period after these is an abbreviation inside an address, not the end of a sentence.
_ABBREVIATIONS = frozenset({"st", "ave", "dr", "rd", "blvd", "ln", "ct", "apt", "ste", "no", "mt"})
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z0-9\"“'])")


def _sentences(text: str) -> list[str]:
    sentences: list[str] = []
    start = 0
    for end in _SENTENCE_END.finditer(text):
        words = text[start : end.start()].split()
        if words and words[-1].lower() in _ABBREVIATIONS:
            continue
        sentences.append(text[start : end.start() + 1].strip())
        start = end.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def is_instruction(text: str) -> bool:
    return bool(_INSTRUCTION.match(text.strip().lstrip("\"“'")))


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass(frozen=True)
class ToolReply:
    """A tool result split into what may be said (`facts`) and what is for the model only."""

    facts: tuple[str, ...]
    instructions: tuple[str, ...]

    @property
    def spoken(self) -> str:
        """The facts, as one line."""
        return " ".join(self.facts)

    def fact(self, label: str) -> str | None:
        """The text after "Label:" in a fact such as "Available: unit 312, ..."."""
        prefix = label.lower() + ":"
        for fact in self.facts:
            if fact.lower().startswith(prefix):
                return fact[len(prefix) :].strip()
        return None

    def detail(self, phrase: str) -> str | None:
        """What an instruction containing `phrase` gives after its colon, e.g. the address in
        "... tell them where to meet: 1200 Embarcadero Way, ...", when that is not itself an
        instruction ("Do not transfer: offer ..." gives nothing)."""
        for instruction in self.instructions:
            at = instruction.lower().find(phrase.lower())
            if at < 0:
                continue
            _, colon, tail = instruction[at:].partition(":")
            tail = tail.strip().rstrip(".").strip()
            if colon and tail and not is_instruction(tail):
                return tail
        return None

    def forbids(self, action: str) -> bool:
        """Whether the model is told not to `action` ("Do not transfer: ...")."""
        action = action.lower()
        return any(
            instruction.lower().startswith((f"do not {action}", f"don't {action}"))
            for instruction in self.instructions
        )

    def mentions(self, *words: str) -> bool:
        """Whether any instruction mentions one of `words` (e.g. "call back", "callback")."""
        return any(w.lower() in i.lower() for i in self.instructions for w in words)


def read_tool_result(text: str) -> ToolReply:
    """Split a tool result into facts and instructions (see the module docstring).

    Within a sentence, "; " starts a new part only when an instruction follows, so a list of
    units or times stays one fact (or stays with the instruction that introduced it).
    """
    facts: list[str] = []
    instructions: list[str] = []
    for sentence in _sentences(" ".join(text.split())):
        groups: list[list[str]] = []
        for clause in re.split(r";\s+", sentence):
            if not groups or is_instruction(clause):
                groups.append([clause])
            else:
                groups[-1].append(clause)
        for group in groups:
            part = _sentence("; ".join(group))
            (instructions if is_instruction(part) else facts).append(part[0].upper() + part[1:])
    return ToolReply(facts=tuple(facts), instructions=tuple(instructions))
