"""Plans (一人一策), their workflow, deliveries, the services directory and the service card."""
