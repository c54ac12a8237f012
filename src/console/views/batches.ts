// The batch list: filters (a GET form, so a filtered list is a link), search, keyset pages.
export const batches = `<% layout('@layout', it) %>
<h1>Batches</h1>
<form method="get" action="/batches" class="filters" role="search" aria-label="Filter batches">
  <div><label for="q">Search</label><input id="q" name="q" value="<%= it.f.q ?? '' %>" placeholder="Concur batch id, report id, employee"></div>
  <div><label for="company">Company</label><select id="company" name="company"><option value="">any</option><% for (const c of it.choices.companies) { %><option<% if (c === it.f.company) { %> selected<% } %>><%= c %></option><% } %></select></div>
  <div><label for="state">State</label><select id="state" name="state"><option value="">any</option><% for (const s of it.states) { %><option<% if (s === it.f.state) { %> selected<% } %>><%= s %></option><% } %></select></div>
  <div><label for="from">Discovered from</label><input id="from" name="from" type="date" value="<%= it.f.from ?? '' %>"></div>
  <div><label for="to">to</label><input id="to" name="to" type="date" value="<%= it.f.to ?? '' %>"></div>
  <div><label for="currency">Currency</label><select id="currency" name="currency"><option value="">any</option><% for (const c of it.choices.currencies) { %><option<% if (c === it.f.currency) { %> selected<% } %>><%= c %></option><% } %></select></div>
  <div><label for="sink">Sink</label><select id="sink" name="sink"><option value="">any</option><% for (const s of it.choices.sinks) { %><option<% if (s === it.f.sink) { %> selected<% } %>><%= s %></option><% } %></select></div>
  <div class="buttons"><button type="submit">Show</button> <a href="/batches">Clear</a></div>
</form>
<p id="count" role="status"><%= it.page.totalCapped ? 'More than ' + it.page.total.toLocaleString('en') : it.page.total.toLocaleString('en') %> <%= it.page.total === 1 ? 'batch' : 'batches' %></p>
<% if (it.page.rows.length) { %>
<table class="batches">
  <caption>Batches, newest first (times in UTC)</caption>
  <thead><tr><th scope="col">Batch</th><th scope="col">Name</th><th scope="col">State</th><th scope="col">Batch total</th><th scope="col">Reconciliation</th><th scope="col">Deliveries</th><th scope="col">Discovered</th><th scope="col">Updated</th></tr></thead>
  <tbody>
  <% for (const b of it.page.rows) { %>
    <tr>
      <th scope="row"><a href="/batches/<%= b.id %>"><%= b.companyId %>/<%= b.concurBatchId %></a></th>
      <td><%= b.name ?? '' %></td>
      <td><span class="badge <%= it.h.stateClass(b.state) %>"><%= b.state %></span></td>
      <td class="num"><%= b.batchTotal ?? '' %> <%= b.currency ?? '' %></td>
      <td><span class="badge <%= it.h.recClass(b.reconciliation) %>"><%= b.reconciliation %></span></td>
      <td><% for (const d of b.deliveries) { %><span class="badge <%= it.h.deliveryClass(d.state) %>"><%= d.sink %>: <%= d.state %></span> <% } %></td>
      <td><%= it.h.time(b.createdAt) %></td>
      <td><%= it.h.time(b.updatedAt) %></td>
    </tr>
  <% } %>
  </tbody>
</table>
<% } %>
<nav aria-label="Pages" class="pages">
  <% if (it.page.previousAfter) { %><a rel="prev" href="/batches?<%= it.h.query(it.f, { after: it.page.previousAfter }) %>">← Newer</a><% } %>
  <% if (it.page.nextBefore) { %><a rel="next" href="/batches?<%= it.h.query(it.f, { before: it.page.nextBefore }) %>">Older →</a><% } %>
</nav>
`;
