"""Answers that come in: SMS replies and the phone line's keypad."""
