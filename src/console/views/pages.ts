// The small pages: sign in, an action's confirmation, companies, Saferpay closes, errors.
export const login = `<% layout('@layout', it) %>
<h1>Sign in to the erp-sync console</h1>
<% if (it.error) { %><p class="error" role="alert"><%= it.error %></p><% } %>
<% if (it.canSignIn) { %>
<form method="post" action="/login" class="stack">
  <input type="hidden" name="next" value="<%= it.next %>">
  <label for="name">Your name <span class="hint">(recorded in the audit trail with every action)</span></label>
  <input id="name" name="name" autocomplete="name" required maxlength="64">
  <label for="token">Token <span class="hint">(http.adminToken, or http.viewerToken for read-only)</span></label>
  <input id="token" name="token" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form>
<% } else { %>
<p>No console token is configured: set <code>http.adminToken</code> (or <code>ERP_SYNC_ADMIN_TOKEN</code> / <code>ERP_SYNC_ADMIN_TOKEN_FILE</code>) and, for read-only access, <code>http.viewerToken</code>.</p>
<% } %>
`;

export const confirm = `<% layout('@layout', it) %>
<h1><%= it.heading %></h1>
<p><a href="/batches/<%= it.batch.id %>"><%= it.batch.companyId %>/<%= it.batch.concurBatchId %></a> is <strong><%= it.batch.state %></strong>.</p>
<% if (it.refusal) { %>
<p class="error" role="alert"><%= it.refusal %></p>
<p><a href="/batches/<%= it.batch.id %>">Back to the batch</a></p>
<% } else { %>
<h2>What will happen</h2>
<ul><% for (const line of it.effects) { %><li><%= line %></li><% } %></ul>
<p>It is recorded in the batch's audit trail as done by <strong><%= it.session.name %></strong>.</p>
<form method="post" action="<%= it.action %>" class="stack">
  <input type="hidden" name="csrf" value="<%= it.csrf %>">
  <% if (it.sinks) { %>
  <label for="sink">Sink</label>
  <select id="sink" name="sink">
    <option value="">every sink (<%= it.sinks.join(', ') %>)</option>
    <% for (const s of it.sinks) { %><option value="<%= s %>"<% if (s === it.sink) { %> selected<% } %>><%= s %></option><% } %>
  </select>
  <% } else if (it.sink) { %>
  <input type="hidden" name="sink" value="<%= it.sink %>">
  <% } %>
  <div class="buttons"><button type="submit" class="danger"><%= it.button %></button> <a href="/batches/<%= it.batch.id %>">Cancel</a></div>
</form>
<% } %>
`;

export const companies = `<% layout('@layout', it) %>
<h1>Companies</h1>
<table>
  <caption>Each company's Concur authorisation and listing cycle (times in UTC)</caption>
  <thead><tr><th scope="col">Company</th><th scope="col">Authorisation</th><th scope="col">Last successful cycle</th><th scope="col">Last cycle</th><th scope="col">Next discovery</th><th scope="col">Last discovery error</th></tr></thead>
  <tbody>
  <% for (const c of it.companies) { %>
    <tr>
      <th scope="row"><a href="/batches?company=<%= encodeURIComponent(c.id) %>"><%= c.id %></a><% if (c.name !== c.id) { %> <span class="hint"><%= c.name %></span><% } %></th>
      <td><% if (c.authState === 'needs_reauth') { %><span class="badge bad">needs re-authorisation</span> <%= c.authError %><br><a href="#reauthorise">Re-authorise</a> with <code>erp-sync reauth <%= c.id %> --refresh-token-file FILE</code><% } else { %><span class="badge ok">ok</span><% } %></td>
      <td><%= it.h.time(c.lastSuccessAt) %></td>
      <td><%= it.h.time(c.lastCycleAt) %></td>
      <td><%= it.h.time(c.nextDiscoveryAt) %></td>
      <td><%= c.lastDiscoveryError ?? '' %></td>
    </tr>
  <% } %>
  </tbody>
</table>
<% if (it.sinks.length) { %>
<h2>Sinks that need a person</h2>
<ul><% for (const s of it.sinks) { %><li><strong><%= s.companyId %>/<%= s.sink %></strong> since <%= it.h.time(s.since) %>: <%= s.reason %></li><% } %></ul>
<% } %>
<h2 id="reauthorise">How to re-authorise a company</h2>
<ol>
  <li>A Concur administrator of the company signs in to Concur and grants erp-sync's app access again (the company's app management page), which yields a new refresh token.</li>
  <li>Put the token into a file readable only by you, then on a machine with the daemon's configuration run <code>erp-sync reauth &lt;company&gt; --refresh-token-file FILE</code> (or pipe it on standard input).</li>
  <li>The company leaves <em>needs re-authorisation</em> at once; its next discovery lists its batches again.</li>
</ol>
`;

export const saferpay = `<% layout('@layout', it) %>
<h1>Saferpay closes</h1>
<p>Terminal batch closes of the business days since <%= it.since %>, newest first.</p>
<% if (!it.closes.length) { %><p>No closes recorded in that time.</p><% } else { %>
<table>
  <caption>Closes per terminal and business day (times in UTC)</caption>
  <thead><tr><th scope="col">Business day</th><th scope="col">Terminal</th><th scope="col">Close</th><th scope="col">Outcome</th><th scope="col">Attempts</th><th scope="col">Saferpay's answer</th><th scope="col">Finished / next attempt</th></tr></thead>
  <tbody>
  <% for (const c of it.closes) { %>
    <tr>
      <td><%= c.businessDay %></td>
      <td><%= c.terminalId %> <span class="hint"><%= c.terminalName %></span></td>
      <td><%= c.seq === 0 ? 'daily' : 'forced by ' + (c.forcedBy ?? '?') %></td>
      <td><span class="badge <%= it.h.outcomeClass(c.outcome) %>"><%= c.outcome %></span></td>
      <td><%= c.attempts %></td>
      <td><% if (c.errorName || c.errorMessage) { %><strong><%= c.errorName ?? '' %></strong> <%= c.errorMessage ?? '' %><% if (c.errorDetail && c.errorDetail.length) { %> (<%= c.errorDetail.join('; ') %>)<% } %><% if (c.behavior) { %> <span class="hint">Behavior <%= c.behavior %></span><% } %><% if (c.httpStatus) { %> <span class="hint">HTTP <%= c.httpStatus %></span><% } %><% } else if (c.lastError) { %><%= c.lastError %><% } %></td>
      <td><%= c.finishedAt ? it.h.time(c.finishedAt) : c.nextAttemptAt ? 'next ' + it.h.time(c.nextAttemptAt) : '' %></td>
    </tr>
  <% } %>
  </tbody>
</table>
<% } %>
`;

export const problem = `<% layout('@layout', it) %>
<h1><%= it.heading %></h1>
<p><%= it.message %></p>
<p><a href="/">Back to the overview</a></p>
`;
