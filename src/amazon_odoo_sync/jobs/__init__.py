"""Job pipeline on procrastinate: app, queues and priorities, retry strategy, tasks."""
