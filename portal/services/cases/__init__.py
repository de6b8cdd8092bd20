"""Cases (complaints, consultations, needs): filing, actions, escalation, the queue, the sweep."""
