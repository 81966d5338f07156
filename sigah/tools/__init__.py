"""The tooling: the ``sigah`` command and the book's build.

- :mod:`~sigah.tools.cli`: the ``sigah`` command line;
- :mod:`~sigah.tools.build`: execute the chapters with papermill and build the HTML book;
- :mod:`~sigah.tools.params`: check a chapter's parameters before it runs;
- :mod:`~sigah.tools.check`: open every built page in headless Chromium and check it;
- :mod:`~sigah.tools.publish`, :mod:`~sigah.tools.paper_map`,
  :mod:`~sigah.tools.markdown_download`: launch buttons, the paper map and download menus;
- :mod:`~sigah.tools.notebooks`: export the chapters as plain notebooks.

The tooling may import the studies (:mod:`sigah.studies`) and the library; nothing imports it back.
"""
