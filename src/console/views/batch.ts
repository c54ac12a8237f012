// One batch: its state and actions, Concur's facts, the reconciliation checks, rows per currency, files, deliveries
// with their payouts and manifest, and the audit trail.
export const batch = `<% layout('@layout', it) %>
<% const b = it.batch; %>
<h1>Batch <%= b.companyId %>/<%= b.concurBatchId %></h1>
<p class="lead"><%= b.name ?? '' %> <span class="badge <%= it.h.stateClass(b.state) %>" id="state"><%= b.state %></span></p>
<% if (b.quarantineReason) { %><p class="error" id="quarantine-reason"><strong>Quarantined:</strong> <%= b.quarantineReason %></p><% } %>
<% if (b.lastError) { %><p class="warn"><strong>Last error:</strong> <%= b.lastError %> (attempt <%= b.attempts %><% if (b.nextAttemptAt) { %>, next <%= it.h.time(b.nextAttemptAt) %><% } %>)</p><% } %>

<% if (it.session.role === 'admin') { %>
<nav aria-label="Actions" class="actions">
  <% if (b.state === 'quarantined') { %><a class="button" href="/batches/<%= b.id %>/retry">Retry</a><% } %>
  <% if (['loaded', 'done', 'quarantined'].includes(b.state)) { %><a class="button" href="/batches/<%= b.id %>/replay">Replay to sink…</a><% } %>
  <% for (const d of it.status.deliveries) { if (d.payout && d.payout.system === 'xero' && d.payout.batchPaymentId && d.payout.status !== 'DELETED') { %>
  <a class="button danger" href="/batches/<%= b.id %>/reverse?sink=<%= encodeURIComponent(d.sink) %>">Reverse in Xero (<%= d.sink %>)</a>
  <% } } %>
</nav>
<% } %>

<section aria-labelledby="facts-h">
<h2 id="facts-h">Concur's facts</h2>
<dl class="facts">
  <dt>BatchTotal</dt><dd id="batch-total"><%= b.batchTotal ?? '—' %> <%= b.currency ?? '' %></dd>
  <dt>Count (reports)</dt><dd><%= b.paymentDemands ?? '—' %></dd>
  <dt>Type</dt><dd><%= b.type ?? '—' %></dd>
  <dt>Payment method</dt><dd><%= b.paymentMethod ?? '—' %></dd>
  <dt>Closed</dt><dd><%= it.h.time(b.closedAt) %></dd>
  <dt>Internal id</dt><dd><%= b.id %></dd>
</dl>
</section>

<section aria-labelledby="rec-h">
<h2 id="rec-h">Reconciliation</h2>
<% const rec = b.reconciliation; %>
<% if (!rec) { %><p>Not reconciled yet.</p><% } else { %>
<p>Status: <span class="badge <%= it.h.recClass(rec.status) %>" id="reconciliation-status"><%= rec.status %></span> · <%= rec.rows %> rows stored</p>
<table id="checks">
  <caption>Every check, expected against actual (difference = actual − expected)</caption>
  <thead><tr><th scope="col">Check</th><th scope="col">File</th><th scope="col">Currency / account</th><th scope="col">Expected</th><th scope="col">Actual</th><th scope="col">Difference</th><th scope="col">Holds</th></tr></thead>
  <tbody>
  <% for (const c of rec.checks) { %>
    <tr class="<%= c.ok ? '' : 'failed' %>">
      <td><%= c.check %></td><td><%= c.file ?? '' %></td><td><%= c.currency ?? '' %><%= c.account !== undefined ? ' account ' + (c.account || '(none)') : '' %></td>
      <td class="num"><%= c.expected %></td><td class="num"><%= c.actual %></td><td class="num difference"><%= c.difference %></td>
      <td><%= c.ok ? 'yes' : 'NO' %></td>
    </tr>
  <% } %>
  </tbody>
</table>
<% if (rec.warnings && rec.warnings.length) { %><ul class="warn"><% for (const w of rec.warnings) { %><li><%= w %></li><% } %></ul><% } %>
<% } %>
</section>

<section aria-labelledby="rows-h">
<h2 id="rows-h">Rows per currency</h2>
<% if (!it.rows.length) { %><p>No rows stored.</p><% } else { %>
<table>
  <caption>Stored transactions per currency (exact decimals)</caption>
  <thead><tr><th scope="col">Currency</th><th scope="col">Rows</th><th scope="col">Debits</th><th scope="col">Credits</th><th scope="col">Net</th></tr></thead>
  <tbody><% for (const r of it.rows) { %><tr><td><%= r.currency || '(none)' %></td><td class="num"><%= r.rows %></td><td class="num"><%= r.debit %></td><td class="num"><%= r.credit %></td><td class="num"><%= r.net %></td></tr><% } %></tbody>
</table>
<% } %>
</section>

<section aria-labelledby="files-h">
<h2 id="files-h">Files</h2>
<% if (!it.files.length) { %><p>No file fetched yet.</p><% } else { %>
<table>
  <caption>Files fetched from Concur and the entries taken from them</caption>
  <thead><tr><th scope="col">Name</th><th scope="col">Kind</th><th scope="col">Size</th><th scope="col">SHA-256</th><th scope="col">Fetched</th><th scope="col">Original bytes</th></tr></thead>
  <tbody><% for (const f of it.files) { %><tr>
    <td><%= f.parentFileId ? '↳ ' : '' %><%= f.name %></td><td><%= f.kind %></td><td class="num"><%= f.size.toLocaleString('en') %> B</td><td><code><%= f.sha256.slice(0, 16) %>…</code></td><td><%= it.h.time(f.createdAt) %></td>
    <td><% if (f.storagePath) { %><a href="/batches/<%= b.id %>/files/<%= f.id %>" download>Download<span class="sr-only"> <%= f.name %></span></a><% } else { %>not kept<% } %></td>
  </tr><% } %></tbody>
</table>
<% } %>
</section>

<section aria-labelledby="deliveries-h">
<h2 id="deliveries-h">Deliveries</h2>
<% if (!it.status.deliveries.length) { %><p>Not delivered yet.</p><% } %>
<% for (const d of it.status.deliveries) { const r = it.results[d.sink]; %>
<h3><%= d.sink %> <span class="badge <%= it.h.deliveryClass(d.state) %>"><%= d.state %></span></h3>
<p><%= d.attempts %> attempt(s)<% if (d.deliveredAt) { %>, delivered <%= it.h.time(d.deliveredAt) %><% } %><% if (d.lastError) { %>; last error: <%= d.lastError %><% } %></p>
<% if (d.payout) { %><p>Payout (<%= d.payout.system === 'xero' ? 'Xero' : 'QI Tech' %>):
  <% if (d.payout.system === 'xero') { %>batch payment <%= d.payout.batchPaymentId ?? '(not posted)' %>, status <strong><%= d.payout.status ?? '?' %></strong>, <%= d.payout.isReconciled ? 'reconciled' : 'not reconciled' %>
  <% } else { %>payment batch <%= d.payout.paymentBatch %>, status <strong><%= d.payout.status ?? '?' %></strong><% if (d.payout.paidAt) { %>, paid <%= it.h.time(d.payout.paidAt) %><% } %><% } %></p><% } %>
<% if (r && r.files.length) { %>
<table>
  <caption>Files of the last attempt to <%= d.sink %></caption>
  <thead><tr><th scope="col">Kind</th><th scope="col">Remote path</th><th scope="col">Size</th><th scope="col">SHA-256</th><th scope="col">Outcome</th></tr></thead>
  <tbody><% for (const f of r.files) { %><tr class="<%= f.kind === 'manifest' ? 'manifest' : '' %>"><td><%= f.kind %></td><td><code><%= f.remotePath %></code></td><td class="num"><%= f.size %></td><td><code><%= String(f.sha256).slice(0, 16) %>…</code></td><td><%= f.outcome %></td></tr><% } %></tbody>
</table>
<% if (r.manifest) { %><p>Manifest: <code><%= r.manifest.remotePath %></code> (<%= it.manifestFormat %>), <%= r.manifest.outcome %>.</p><% } %>
<% } %>
<% } %>
</section>

<section aria-labelledby="timeline-h">
<h2 id="timeline-h">Timeline</h2>
<table id="timeline">
  <caption>Every transition and event from the audit trail (times in UTC)</caption>
  <thead><tr><th scope="col">Time</th><th scope="col">Event</th><th scope="col">From → to</th><th scope="col">Worker / who</th><th scope="col">Details</th></tr></thead>
  <tbody><% for (const e of it.events) { %><tr>
    <td><%= it.h.time(e.at) %></td><td><%= e.kind %></td><td><%= e.fromState ?? '' %><%= e.fromState && e.toState ? ' → ' : '' %><%= e.toState ?? '' %></td>
    <td><%= e.detail.by ?? e.detail.worker ?? '' %></td><td class="detail"><%= it.h.details(e.detail) %></td>
  </tr><% } %></tbody>
</table>
</section>
`;
