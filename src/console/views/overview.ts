// The overview: what needs a person first, batches per company and state, what comes next, the charts.
export const overview = `<% layout('@layout', it) %>
<h1>Overview</h1>

<section aria-labelledby="attention-h" id="attention">
  <h2 id="attention-h">What needs a person</h2>
  <% if (!it.attention.items.length) { %>
  <p class="ok-text">Nothing: no quarantined batch, no company to re-authorise, no failing delivery, no failed Saferpay close.</p>
  <% } else { %>
  <ul class="attention">
  <% for (const [kind, label] of it.attentionKinds) { const items = it.attention.items.filter((i) => i.kind === kind); if (!items.length) continue; %>
    <li>
      <h3><%= label %> <span class="count">(<%= it.attention.counts[kind] %>)</span></h3>
      <ul>
      <% for (const i of items) { %>
        <li>
          <% if (i.batchRowId) { %><a href="/batches/<%= i.batchRowId %>"><%= i.companyId %>/<%= i.concurBatchId %></a><% } else if (i.terminalId) { %><a href="/saferpay">terminal <%= i.terminalId %></a><% } else { %><a href="/companies#reauthorise"><%= i.companyId %></a><% } %>
          <% if (i.sink) { %>· sink <%= i.sink %><% } %>
          <% if (i.detail) { %>: <%= i.detail %><% } %>
          <span class="hint">since <%= it.h.time(i.since) %></span>
        </li>
      <% } %>
      <% if (kind === 'quarantined' && it.attention.counts[kind] > items.length) { %><li><a href="/batches?state=quarantined">all <%= it.attention.counts[kind] %> quarantined batches</a></li><% } %>
      </ul>
    </li>
  <% } %>
  </ul>
  <% } %>
</section>

<section aria-labelledby="states-h">
  <h2 id="states-h">Batches by state</h2>
  <table>
    <caption>Batches of each company in each state (a number opens the list)</caption>
    <thead><tr><th scope="col">Company</th><% for (const s of it.states) { %><th scope="col"><%= s %></th><% } %></tr></thead>
    <tbody>
    <% for (const c of it.byCompany) { %>
      <tr><th scope="row"><%= c.companyId %></th>
      <% for (const s of it.states) { const n = c.counts[s] ?? 0; %>
        <td class="num"><% if (n) { %><a href="/batches?company=<%= encodeURIComponent(c.companyId) %>&amp;state=<%= s %>" class="<%= s === 'quarantined' ? 'bad-text' : '' %>"><%= n %></a><% } else { %><span class="zero">0</span><% } %></td>
      <% } %>
      </tr>
    <% } %>
    </tbody>
  </table>
</section>

<section aria-labelledby="next-h">
  <h2 id="next-h">Next scheduled actions</h2>
  <table>
    <caption>What the daemon does next (times in UTC; due now when in the past)</caption>
    <thead><tr><th scope="col">When</th><th scope="col">What</th><th scope="col">Of</th></tr></thead>
    <tbody>
    <% for (const a of it.next) { %>
      <tr>
        <td><%= a.at ? it.h.time(a.at) : 'now' %></td>
        <td><%= a.kind === 'discovery' ? 'list batches' : a.kind === 'batch-step' ? 'step of a batch in state ' + a.what : 'Saferpay close' %></td>
        <td><% if (a.batchRowId) { %><a href="/batches/<%= a.batchRowId %>"><%= a.companyId %>/<%= a.concurBatchId %></a><% } else if (a.companyId) { %><%= a.companyId %><% } else { %><%= a.what %><% } %></td>
      </tr>
    <% } %>
    </tbody>
  </table>
</section>

<section aria-labelledby="charts-h">
  <h2 id="charts-h">The last <%= it.days.length %> days</h2>
  <p class="legend"><span class="key loaded"></span> loaded <span class="key delivered"></span> delivered (per UTC day, from each batch's reconciled totals)</p>
  <% if (!it.amounts.length) { %><p>Nothing loaded or delivered in that time.</p><% } %>
  <div class="charts">
  <% for (const a of it.amounts) { %>
  <figure>
    <figcaption><%= a.series.currency %>: loaded and delivered per day</figcaption>
    <%~ a.svg %>
    <details><summary>Figures for <%= a.series.currency %></summary>
      <table><caption><%= a.series.currency %> per day</caption>
        <thead><tr><th scope="col">Day</th><th scope="col">Loaded</th><th scope="col">Delivered</th></tr></thead>
        <tbody><% for (const p of a.series.points) { if (p.loaded === '0' && p.delivered === '0') continue; %><tr><td><%= p.day %></td><td class="num"><%= p.loaded %></td><td class="num"><%= p.delivered %></td></tr><% } %></tbody>
      </table>
    </details>
  </figure>
  <% } %>
  </div>
  <figure>
    <figcaption>Batches per state at the end of each day</figcaption>
    <%~ it.statesSvg %>
    <p class="legend"><% for (const s of it.states) { %><span class="key s-<%= s %>"></span> <%= s %> <% } %></p>
    <details><summary>Figures of the batch states</summary>
      <table><caption>Batches per state at the end of each day</caption>
        <thead><tr><th scope="col">Day</th><% for (const s of it.states) { %><th scope="col"><%= s %></th><% } %></tr></thead>
        <tbody><% for (const p of it.statePoints) { %><tr><td><%= p.day %></td><% for (const s of it.states) { %><td class="num"><%= p.counts[s] ?? 0 %></td><% } %></tr><% } %></tbody>
      </table>
    </details>
  </figure>
</section>
`;
