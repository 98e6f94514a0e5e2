// Starts GraphiQL in #graphiql, sending operations to the endpoint the page names. A separate file
// rather than an inline script, so the page's Content Security Policy can allow scripts from this
// server only.
(function () {
  "use strict";

  var DEFAULT_QUERY = [
    "# coplab's GraphQL API. Ctrl-Enter or the play",
    "# button runs an operation; Docs lists every field.",
    "#",
    "# Anonymous callers see public records. To act for",
    "# an organisation, put in Headers below:",
    '#   {"Authorization": "Bearer <access token>"}',
    "# (a development token: coplab token mint --help).",
    "",
    "{",
    "  viewer { kind }",
    "  organisations(first: 5) {",
    "    totalCount",
    "    edges { node { slug name } }",
    "  }",
    "}",
    "",
  ].join("\n");

  var container = document.getElementById("graphiql");
  var fetcher = GraphiQL.createFetcher({ url: container.dataset.endpoint });

  ReactDOM.createRoot(container).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      defaultQuery: DEFAULT_QUERY,
      defaultEditorToolsVisibility: true,
      isHeadersEditorEnabled: true,
      inputValueDeprecation: true,
    })
  );
})();
