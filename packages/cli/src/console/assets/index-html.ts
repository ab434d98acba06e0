/** INDEX_HTML is the console's one page; everything else is drawn by app.js from the JSON API. */
export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Tributary console</title>
<link rel="stylesheet" href="/app.css">
</head>
<body>
<header>
  <h1>Tributary</h1>
  <nav>
    <a href="#/topics" data-page="topics">Topics</a>
    <a href="#/groups" data-page="groups">Groups</a>
    <a href="#/messages" data-page="messages">Messages</a>
    <a href="#/cluster" data-page="cluster">Cluster</a>
  </nav>
  <span id="status" data-testid="status">connecting…</span>
</header>
<main id="main" data-testid="main"></main>
<script src="/app.js"></script>
</body>
</html>
`
