"""Background work: the schedules inside ``paperwire serve`` (``scheduler``: the digest, every minute;
``harvest``: the daily harvest of arXiv and Hugging Face), the Redis queue that is the job dispatcher
(``queue``, dramatiq) and the ``paperwire worker`` process that consumes it (``worker``). What a tick
or a job does is a services call (``services.digest``, ``services.harvest``, ``services.indexing``);
nothing here holds business rules."""
