"""What several faces share: starting triggers, the publish operation, payload schemas, the workflow cache."""
