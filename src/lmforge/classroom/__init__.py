"""Slide2Lecture and MAIC: slides to a teaching agenda to a regulated, multi-agent lecture."""

from lmforge.classroom.agenda import (
    Agenda,
    AgendaNode,
    AgendaPage,
    AskQuestion,
    Question,
    ReadScript,
    ShowFile,
)
from lmforge.classroom.deck import Deck, Page

__all__ = [
    "Agenda",
    "AgendaNode",
    "AgendaPage",
    "AskQuestion",
    "Deck",
    "Page",
    "Question",
    "ReadScript",
    "ShowFile",
]
