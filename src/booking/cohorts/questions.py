"""Eligibility questions staff ask per program, and checking an applicant's answers to them."""

from __future__ import annotations

from dataclasses import dataclass

from booking.accounts.actor import Actor
from booking.catalog.tables import Program
from booking.cohorts.tables import QUESTION_KINDS, ProgramQuestion
from booking.db import write_transaction
from booking.errors import InvalidInput, NotFound
from booking.fields import is_plain_number, parse_decimal

MAX_ANSWER = 2000
YES_NO = ("yes", "no")


@dataclass
class QuestionInput:
    prompt: str
    kind: str
    choices: str = ""
    required: bool = True


STAFF_ONLY = "Only SCOE program staff manage cohort programs."


def choice_list(question: dict) -> list[str]:
    return [line.strip() for line in (question.get("choices") or "").splitlines() if line.strip()]


def answer_field(question_id: int) -> str:
    return f"q{question_id}"


async def questions_for(program_id: int, include_retired: bool = False) -> list[dict]:
    query = ProgramQuestion.select().where(ProgramQuestion.program == program_id)
    if not include_retired:
        query = query.where(ProgramQuestion.is_active == True)
    return await query.order_by(ProgramQuestion.position).order_by(ProgramQuestion.id)


def check_question(data: QuestionInput) -> QuestionInput:
    prompt = " ".join((data.prompt or "").split())
    choices = "\n".join(line.strip() for line in (data.choices or "").splitlines() if line.strip())
    errors = {}
    if not prompt:
        errors["prompt"] = "Write the question."
    elif len(prompt) > 300:
        errors["prompt"] = "Keep the question under 300 characters."
    if data.kind not in QUESTION_KINDS:
        errors["kind"] = "Choose the kind of answer: yes or no, a choice from a list, a number, or text."
    if data.kind == "choice" and len(choices.splitlines()) < 2:
        errors["choices"] = "List at least two choices, one per line."
    elif len(choices) > 2000:
        errors["choices"] = "Keep the choices under 2,000 characters."
    if errors:
        raise InvalidInput(errors)
    return QuestionInput(
        prompt=prompt, kind=data.kind, choices=choices if data.kind == "choice" else "", required=data.required
    )


async def add_question(actor: Actor, program_id: int, data: QuestionInput) -> int:
    Actor.require(actor, "staff", STAFF_ONLY)
    data = check_question(data)
    async with write_transaction():
        if not await Program.exists().where(Program.id == program_id):
            raise NotFound("No such program.")
        last = (
            await ProgramQuestion.select(ProgramQuestion.position)
            .where(ProgramQuestion.program == program_id)
            .order_by(ProgramQuestion.position, ascending=False)
            .first()
        )
        rows = await ProgramQuestion.insert(
            ProgramQuestion(
                program=program_id,
                position=(last["position"] + 1) if last else 1,
                prompt=data.prompt,
                kind=data.kind,
                choices=data.choices,
                required=data.required,
            )
        ).returning(ProgramQuestion.id)
    return rows[0]["id"]


async def retire_question(actor: Actor, program_id: int, question_id: int) -> None:
    """Applicants stop seeing it; answers already given stay on their applications."""
    Actor.require(actor, "staff", STAFF_ONLY)
    async with write_transaction():
        updated = (
            await ProgramQuestion.update({ProgramQuestion.is_active: False})
            .where((ProgramQuestion.id == question_id) & (ProgramQuestion.program == program_id))
            .returning(ProgramQuestion.id)
        )
    if not updated:
        raise NotFound("No such question in this program.")


def clean_answer(question: dict, raw: str | None) -> str:
    """One answer, normalised; InvalidInput (keyed by the answer's form field) when it cannot be right."""
    value = " ".join((raw or "").split()) if question["kind"] != "text" else (raw or "").strip()
    field = answer_field(question["id"])
    if not value:
        return ""
    if len(value) > MAX_ANSWER:
        raise InvalidInput({field: f"Keep this answer under {MAX_ANSWER:,} characters."})
    if question["kind"] == "yes_no" and value.lower() not in YES_NO:
        raise InvalidInput({field: "Answer yes or no."})
    if question["kind"] == "choice" and value not in choice_list(question):
        raise InvalidInput({field: "Choose one of the listed answers."})
    if question["kind"] == "number":
        if not is_plain_number(value.strip()):
            raise InvalidInput({field: "Enter a number, for example 4 or 2.5."})
        parse_decimal(
            value, field, minimum=0, maximum=100_000, places=2, message="Enter a number between 0 and 100,000."
        )
    return value.lower() if question["kind"] == "yes_no" else value


def _quoted(question: dict) -> str:
    prompt = " ".join(question["prompt"].split()).rstrip("?:. ")
    return f"“{prompt if len(prompt) <= 80 else prompt[:79] + '…'}”"


def clean_answers(questions: list[dict], raw: dict[str, str], *, complete: bool) -> dict[str, str]:
    """All answers by question id; with `complete`, required questions must be answered."""
    answers, errors = {}, {}
    for question in questions:
        try:
            value = clean_answer(question, raw.get(answer_field(question["id"])))
        except InvalidInput as error:
            # The error summary lists every field's message: each names its question, or four
            # "Answer this question." would read alike.
            errors.update({field: f"{_quoted(question)}: {message}" for field, message in error.field_errors.items()})
            continue
        if value:
            answers[str(question["id"])] = value
        elif complete and question["required"]:
            errors[answer_field(question["id"])] = f"Answer {_quoted(question)}."
    if errors:
        raise InvalidInput(errors)
    return answers
