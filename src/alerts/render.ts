// What an alert says, and its body for each kind of target: the generic webhook's JSON, a Slack incoming webhook's
// message, a Microsoft Teams Workflows webhook's Adaptive Card. Pure. Causes cut their free text (causes.ts), so
// every body stays under a few KiB.
import type { AlertKind, AlertTarget } from './config.js';

export type AlertEvent = 'opened' | 'resolved';

/** One announcement of one alert, as stored in the outbox and as the generic webhook's body. */
export interface AlertMessage {
  /** Stable across retries: receivers drop a repeat they have seen (delivery is at least once). */
  id: string;
  event: AlertEvent;
  kind: AlertKind;
  cause: string;
  company: string | null;
  batch: string | null;
  summary: string;
  reason: string;
  /** The console page, absolute. */
  link: string;
  openedAt: string;
  resolvedAt: string | null;
}

const TITLES: Record<AlertKind, string> = {
  batch_quarantined: 'Batch quarantined',
  reconciliation_mismatch: 'Reconciliation mismatch',
  needs_reauth: 'Re-authorisation needed',
  delivery_failing: 'Delivery failing',
  saferpay_close_failed: 'Saferpay close failed',
  not_cycling: 'Not cycling',
};

export function title(m: Pick<AlertMessage, 'event' | 'kind'>): string {
  return `${m.event === 'resolved' ? 'RESOLVED' : 'ALERT'}: ${TITLES[m.kind]}`;
}

/** The facts line: company, batch, since when. */
function facts(m: AlertMessage): Array<{ title: string; value: string }> {
  return [
    ...(m.company ? [{ title: 'Company', value: m.company }] : []),
    ...(m.batch ? [{ title: 'Batch', value: m.batch }] : []),
    { title: m.event === 'resolved' ? 'Open' : 'Since', value: m.resolvedAt ? `${m.openedAt} – ${m.resolvedAt}` : m.openedAt },
  ];
}

// Slack reads &, < and > as markup (`<!channel>` would ping everyone): text from files and remotes is escaped.
const slackEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function slack(m: AlertMessage): unknown {
  const head = `${title(m)} — ${m.summary}`;
  return {
    text: slackEscape(head),
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${slackEscape(head)}*\n${slackEscape(m.reason)}` } },
      { type: 'context', elements: [{ type: 'mrkdwn', text: slackEscape(facts(m).map((f) => `${f.title}: ${f.value}`).join(' · ')) }] },
      { type: 'actions', elements: [{ type: 'button', text: { type: 'plain_text', text: 'Open in the console' }, url: m.link }] },
    ],
  };
}

/** Teams Workflows take Adaptive Cards only (the Office 365 connectors' MessageCard is retired). */
function teams(m: AlertMessage): unknown {
  return {
    type: 'message',
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        contentUrl: null,
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [
            { type: 'TextBlock', text: title(m), weight: 'Bolder', size: 'Medium', color: m.event === 'resolved' ? 'Good' : 'Attention', wrap: true },
            { type: 'TextBlock', text: m.summary, wrap: true },
            { type: 'TextBlock', text: m.reason, wrap: true, isSubtle: true },
            { type: 'FactSet', facts: facts(m) },
          ],
          actions: [{ type: 'Action.OpenUrl', title: 'Open in the console', url: m.link }],
        },
      },
    ],
  };
}

/** The exact bytes to post to a target of this type. */
export function renderBody(type: AlertTarget['type'], m: AlertMessage): string {
  switch (type) {
    case 'webhook':
      return JSON.stringify(m);
    case 'slack':
      return JSON.stringify(slack(m));
    case 'teams':
      return JSON.stringify(teams(m));
  }
}
