"""A read-only AWS connector for the control register (issue 25, first slice: the collectors).

``session.connect`` assumes the customer's read-only role with its external ID, ``session.clients``
makes the boto3 clients (pointed at an emulator in tests), ``checks`` holds one function per DPP
test and ``run.collect`` runs them all per region and seals the raw evidence with its SHA-256.
Results are plain dataclasses: nothing here touches the database, so a service or a beat task can
store them later.
"""
