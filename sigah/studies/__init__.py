"""The studies: the experiments the book's chapters run, built on the method library.

- :mod:`~sigah.studies.experiments`: methods × bits × repeats on a protocol, through the store of
  runs, as tidy tables;
- :mod:`~sigah.studies.retrieval`: the paper's Tables 1-2 and Fig. 3 beside our runs;
- :mod:`~sigah.studies.ablation`, :mod:`~sigah.studies.sweeps`: Tables 4-5 and Figs. 7-8, and the
  record of the sweeps that chose SiGAH's defaults;
- :mod:`~sigah.studies.reconstruction`: Figs. 4 and 6;
- :mod:`~sigah.studies.timing`: Table 3, fit-time scaling and the hardware behind every time;
- :mod:`~sigah.studies.features`, :mod:`~sigah.studies.semantic`: CNN features and label-based
  retrieval (Tables 6-7);
- :mod:`~sigah.studies.ranking`: the ranking rules of Spherical Hashing and QoLSH;
- :mod:`~sigah.studies.paper`: the paper's reported numbers; :mod:`~sigah.studies.plotting`: figures;
- :mod:`~sigah.studies.sizes`: a chapter's counts capped to the data it is given.

Studies import the library (``sigah.*``), never the tooling (:mod:`sigah.tools`).
"""
