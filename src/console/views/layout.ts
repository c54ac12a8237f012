// The page frame: skip link, navigation, who is signed in (and sign out), the notice of a finished action.
export const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title><%= it.title %> · erp-sync</title>
<link rel="stylesheet" href="/console/assets/console.css">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top">
  <span class="brand">erp-sync</span>
  <% if (it.session) { %>
  <nav aria-label="Console">
    <ul>
    <% for (const [href, label] of [['/', 'Overview'], ['/batches', 'Batches'], ['/companies', 'Companies'], ['/saferpay', 'Saferpay']]) { %>
      <li><a href="<%= href %>"<% if (it.nav === href) { %> aria-current="page"<% } %>><%= label %></a></li>
    <% } %>
    </ul>
  </nav>
  <div class="who">
    <%= it.session.name %> (<%= it.session.role === 'admin' ? 'admin' : 'read-only' %>)
    <% if (it.session.sid) { %>
    <form method="post" action="/logout" class="inline"><input type="hidden" name="csrf" value="<%= it.csrf %>"><button type="submit" class="link">Sign out</button></form>
    <% } else { %>
    <a href="/login">Sign in</a>
    <% } %>
  </div>
  <% } %>
</header>
<main id="main" tabindex="-1">
<% if (it.notice) { %><p class="notice" role="status"><%= it.notice %></p><% } %>
<%~ it.body %>
</main>
</body>
</html>
`;
