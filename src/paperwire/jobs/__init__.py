"""Background work: the schedules that tick in ``paperwire serve`` (``scheduler``: the digest, every
minute), the Redis queue that is the job dispatcher (``queue``, dramatiq) and the ``paperwire worker``
process that consumes it (``worker``). What a tick or a job does is a services call (for the digest,
``services.digest``); nothing here holds business rules."""
