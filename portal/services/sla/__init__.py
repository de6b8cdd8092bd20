"""Deadlines on the working-day calendar: policies, clocks, work days, the calendar."""
