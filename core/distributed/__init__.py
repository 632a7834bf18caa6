"""The distributed execution mode: Celery workers execute runs that scheduler processes fire.

PostgreSQL holds every run row and decides which slot fires and which run executes; Redis (the
Celery broker) only carries run ids from schedulers and web processes to workers. Nothing here is
imported by the embedded default, so a single machine needs no broker and no Celery.
"""
