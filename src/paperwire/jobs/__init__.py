"""Background work: the digest schedule (``scheduler``: a tick every minute in ``paperwire serve``),
the Redis queue that is the job dispatcher (``queue``, dramatiq) and the ``paperwire worker`` process
that consumes it (``worker``). What a tick or a job does is a services call (``services.digest``)."""
