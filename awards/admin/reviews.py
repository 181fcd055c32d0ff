"""Reviewers' admin: the applications assigned to them, their reviews and conflicts; assigning reviewers."""
