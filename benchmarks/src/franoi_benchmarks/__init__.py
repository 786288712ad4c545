"""The Fra Noi platform's benchmarks: ``franoi-bench pipeline|views|search|desk|outbox|import``.

Each one starts the real parts it measures (PostgreSQL, a broker, the services, on 127.0.0.1
only, all stopped again at the end) and prints every figure next to a **raw baseline
measured in the same run** on the same servers, with the ratio: on a shared machine absolute
figures move from run to run, ratios much less. docs/benchmarks.md explains the figures.

* :mod:`~franoi_benchmarks.pipeline` -- housing API → outbox → relay → Kafka → projection,
  one module per phase;
* :mod:`~franoi_benchmarks.views` -- the network views' reads over a million events' history;
* :mod:`~franoi_benchmarks.search` -- finding a person among 100,000 of one partner;
* :mod:`~franoi_benchmarks.desk` -- the desk's pages over a partner's million records;
* :mod:`~franoi_benchmarks.outbox` -- the desk's outbox delivering a day recorded offline;
* :mod:`~franoi_benchmarks.imports` -- a partner's history imported from spreadsheets.

Shared: :mod:`~franoi_benchmarks.stats` (percentiles, timing), :mod:`~franoi_benchmarks.cpu`
(CPU from ``/proc``), :mod:`~franoi_benchmarks.databases` (the PostgreSQL a run uses),
:mod:`~franoi_benchmarks.serving` (the services in this process or each in its own, as
deployed; :mod:`~franoi_benchmarks.child` is such a process), :mod:`~franoi_benchmarks.register`
(the cases register's persons) and :mod:`~franoi_benchmarks.benchmark` (how a benchmark is
run from the command line, :mod:`~franoi_benchmarks.cli`).
"""
