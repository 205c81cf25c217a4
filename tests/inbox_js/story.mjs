// Novu's own headless client, unchanged, against a real Clarion: node story.mjs <url> <apiKey> <environmentId>.
// Prints one JSON document of observations; tests/inbox/test_novu_js.py asserts on them.
import { createHmac } from 'node:crypto';
import { Novu } from '@novu/js';
import io from 'socket.io-client';

const [url, apiKey, envId] = process.argv.slice(2);
const out = {};
const api = async (method, path, body) => {
  const r = await fetch(`${url}${path}`, {
    method, headers: { Authorization: `ApiKey ${apiKey}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: r.status === 204 ? null : await r.json() };
};
const hash = (id) => createHmac('sha256', apiKey).update(id).digest('hex');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, check, ms = 45000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

const env = (await api('PUT', `/v1/environments/${envId}`, { inboxHmac: true })).body.data;
const appId = env.applicationIdentifier;
const client = (subscriberId, subscriberHash, extra = {}) => new Novu({
  applicationIdentifier: appId, subscriber: { subscriberId, firstName: subscriberId }, subscriberHash,
  apiUrl: url, socketUrl: url, useCache: false, ...extra,
});

// HMAC: no hash and a wrong hash are refused with Novu's 400; the right hash opens the session.
for (const [name, given] of [['missing', undefined], ['wrong', hash('somebody-else')]]) {
  const { error } = await client('ada', given).notifications.list();
  out[`hmac_${name}`] = { status: error?.originalError?.status, message: error?.originalError?.body?.message };
}
const ada = client('ada', hash('ada'));
const bob = client('bob', hash('bob'));
const seen = { ada: [], bob: [] };
const connected = { ada: false, bob: false };
for (const [name, novu] of [['ada', ada], ['bob', bob]]) {
  novu.on('socket.connect.resolved', ({ error }) => { connected[name] = !error; });
  novu.on('notifications.notification_received', ({ result }) => seen[name].push(['received', result]));
  novu.on('notifications.unseen_count_changed', ({ result }) => seen[name].push(['unseen', result]));
  novu.on('notifications.unread_count_changed', ({ result }) => seen[name].push(['unread', result]));
}
const first = await ada.notifications.list();
out.session_ok = !first.error;
out.empty = first.data?.notifications.length;
await until('both sockets', () => connected.ada && connected.bob);

// A trigger for Ada arrives live at Ada's socket only.
const tx = `inbox-js-${Date.now()}`;
out.trigger = (await api('POST', '/v1/events/trigger', {
  name: 'inbox-actions', to: { subscriberId: 'ada' }, payload: { orderId: 42 }, transactionId: tx,
})).status;
await until('live events', () => ['received', 'unseen', 'unread'].every((k) => seen.ada.some(([e]) => e === k)));
const received = seen.ada.find(([e]) => e === 'received')[1];
out.received = { id: received.id, body: received.body, subject: received.subject, isRead: received.isRead,
  to: received.to.subscriberId, primary: received.primaryAction?.label, transactionId: received.transactionId };
out.unread_event = seen.ada.filter(([e]) => e === 'unread').at(-1)[1];
out.unseen_event = seen.ada.filter(([e]) => e === 'unseen').at(-1)[1];

// HTTP: list, count, read/unread, archive/unarchive, actions, each as the client parses it.
const listed = (await ada.notifications.list({ limit: 10 })).data;
out.listed = listed.notifications.map((n) => ({ id: n.id, severity: n.severity, channelType: n.channelType }));
out.bob_listed = (await bob.notifications.list()).data.notifications.length;
out.count = (await ada.notifications.count({ filters: [{ read: false }, { read: true }] })).data.counts
  .map((c) => c.count);
const id = received.id;
out.read = (await ada.notifications.read({ notificationId: id })).data?.isRead;
out.unread = (await ada.notifications.unread({ notificationId: id })).data?.isRead;
out.archive = (await ada.notifications.archive({ notificationId: id })).data?.isArchived;
out.unarchive = (await ada.notifications.unarchive({ notificationId: id })).data?.isArchived;
out.complete = (await ada.notifications.completePrimary({ notificationId: id })).data?.primaryAction?.isCompleted;
out.revert = (await ada.notifications.revertPrimary({ notificationId: id })).data?.primaryAction?.isCompleted;
out.bob_read_foreign = (await bob.notifications.read({ notificationId: id })).error?.originalError?.status;

// Snooze: hidden now, back (unread, announced live) a few seconds later.
await ada.notifications.read({ notificationId: id });
const before = seen.ada.length;
const snoozeUntil = new Date(Date.now() + 3000).toISOString();
out.snooze = (await ada.notifications.snooze({ notificationId: id, snoozeUntil })).data?.isSnoozed;
out.hidden = (await ada.notifications.list({ snoozed: false })).data.notifications.some((n) => n.id === id);
await until('wake-up', () => seen.ada.slice(before).some(([e, r]) => e === 'received' && r.id === id));
const woke = (await ada.notifications.list({ snoozed: false })).data.notifications.find((n) => n.id === id);
out.woke = { isRead: woke?.isRead, isSnoozed: woke?.isSnoozed };

// Preferences: the global one first; a channel switched off comes back off.
const prefs = (await ada.preferences.list()).data;
out.pref_levels = prefs.map((p) => p.level);
const wf = prefs.find((p) => p.workflow?.identifier === 'inbox-actions');
out.pref_update = (await wf.update({ channels: { in_app: false } })).data?.channels.in_app;
await wf.update({ channels: { in_app: true } });

// Delete: gone from the list and the counts.
await ada.notifications.delete({ notificationId: id });
out.after_delete = (await ada.notifications.list()).data.notifications.length;
out.bob_events = seen.bob.length;
// A socket with a token that is no live session is refused at connect.
out.bogus_socket = await new Promise((resolve) => {
  const s = io(url, { transports: ['websocket'], query: { token: 'sst_bogus' }, reconnection: false });
  s.on('connect', () => { s.disconnect(); resolve('connected'); });
  s.on('connect_error', (e) => { s.disconnect(); resolve(e.message); });
});
ada.socket?.disconnect?.();
console.log(JSON.stringify(out));
process.exit(0);
