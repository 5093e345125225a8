"""Retention: the schedule (class → period), disposal dates, appraisal and destruction."""
