"""Every selector and URL pattern the registry spider uses for the Clusterplattform Deutschland.

The portal runs on the federal Government Site Builder (GSB) CMS. Its real search and profile
markup is unknown to us (no stored copy), so this module is the single place to adapt when the
layout is confirmed or changes; ``tests/fixtures/web/portal/`` follows exactly the markup below,
and the parse functions in :mod:`clusterradar.crawler.registry` report every entry or profile
they could not read (a run that finds none fails loudly).

Markup the selectors expect
---------------------------
1. **Start page** (default ``/CLUSTER/Navigation/DE/Home/home.html``): any page with a link to the
   cluster search form, i.e. an ``<a href>`` whose path contains ``/SiteGlobals/`` and ends in
   ``_Formular.html`` (``;jsessionid=...`` and a query are allowed)::

       <a href="/SiteGlobals/CLUSTER/Forms/Suche/Clustersuche_Formular.html;jsessionid=0A1B"
       >Clustersuche</a>

   A start URL that is itself a hit list page is parsed directly.
2. **Hit list pages** (the form page shows page 1; further pages add ``?gtp=<id>_list%3D<n>``)::

       <div id="searchResult">
         <p class="resultCount">Ihre Suche ergab 434 Treffer</p>   <!-- "N Treffer" anywhere -->
         <ul class="result-list">
           <li class="result-list__item">
             <h3><a href="/CLUSTER/Redaktion/DE/Cluster/<slug>.html;jsessionid=...">Name</a></h3>
             ...                                                  <!-- anything else ignored -->
           </li>
         </ul>
         <div class="navIndex"><ul>
           <li><strong>1</strong></li>
           <li><a href="...Clustersuche_Formular.html?gtp=5946_list%3D2">2</a></li>
           <li class="forward"><a href="...?gtp=5946_list%3D2">weiter</a></li>
         </ul></div>
       </div>

   Every ``<li>`` of ``ul.result-list`` is one entry; an entry without a heading link is a
   parse failure. The hit count is the first ``<number> Treffer`` in the page text
   (``1.234 Treffer`` allowed). Paging links are the ``<a href>`` inside ``div.navIndex``.
3. **Profile pages** (``/CLUSTER/Redaktion/DE/...html``)::

       <h1>Aerospace Hub Bayern e.V.</h1>
       <dl class="cluster-facts">
         <dt>Bundesland</dt>        <dd><ul><li>Bayern</li></ul></dd>
         <dt>Technologiefelder</dt> <dd><ul><li>Luftfahrt</li><li>Sicherheit</li></ul></dd>
         <dt>Fördermaßnahmen</dt>   <dd><ul><li>go-cluster</li></ul></dd>
         <dt>Website</dt>           <dd><a class="external" href="https://www.example.de/">www.example.de</a></dd>
       </dl>

   ``<dt>`` labels are matched case-insensitively by prefix (see ``FACT_LABELS``); values are the
   ``<li>`` texts, or the ``<dd>`` text split at commas/semicolons when there is no list. Bundesland
   names become the registry slugs (``Baden-Württemberg`` -> ``baden-wuerttemberg``). A profile
   without a name (``<h1>``) or without a ``dl.cluster-facts`` is a parse failure.
"""

from __future__ import annotations

import re

# Start page -> search form.
SEARCH_FORM_LINKS = (
    "//a[contains(@href, '/SiteGlobals/') and contains(@href, '_Formular.html')]/@href"
)

# Hit list pages.
HIT_ENTRIES = "//ul[contains(concat(' ', normalize-space(@class), ' '), ' result-list ')]/li"
HIT_ENTRY_LINK = ".//h3//a[@href][1]"
HIT_COUNT = re.compile(r"(\d{1,3}(?:\.\d{3})+|\d+)\s+Treffer\b")
PAGING_LINKS = "//div[contains(concat(' ', normalize-space(@class), ' '), ' navIndex ')]//a/@href"

# Profile pages.
PROFILE_NAME = "normalize-space(//h1[1])"
PROFILE_FACTS = "//dl[contains(concat(' ', normalize-space(@class), ' '), ' cluster-facts ')]"
FACT_LABELS = {
    "bundesl": "bundeslaender",
    "land": "bundeslaender",
    "technologiefeld": "technologiefelder",
    "förderma": "foerdermassnahmen",
    "foerderma": "foerdermassnahmen",
    "website": "website",
    "webseite": "website",
    "internet": "website",
}

# URL patterns.
PROFILE_URL = re.compile(r"/Redaktion/[^?#]*\.html", re.IGNORECASE)
SEARCH_FORM_URL = re.compile(r"/SiteGlobals/[^?#]*_Formular\.html", re.IGNORECASE)
GO_CLUSTER = re.compile(r"go[- ]?cluster", re.IGNORECASE)
