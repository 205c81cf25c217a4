// A Novu user's Node script, run unchanged against Clarion with Novu's official SDK (@novu/api, pinned in
// package.json). Arguments: base URL, API key, SMTP port. Every call's answer is validated by the SDK's zod
// schemas; a call that throws is recorded under `errors` with the SDK's own message.
//
// Protocol with tests/novu_ts/test_novu_api_story.py: print {"wait": [transactionId...]} and read one
// line back (each transaction's outcome, from Temporal); print {"result": {...}} at the end.
import { Novu } from "@novu/api";
import readline from "node:readline";

const [url, key, smtpPort] = process.argv.slice(2);
const novu = new Novu({ serverURL: url, secretKey: key, retryConfig: { strategy: "none" } });
const lines = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
const out = {};
const errors = [];

async function waitFor(...transactionIds) {
  process.stdout.write(JSON.stringify({ wait: transactionIds }) + "\n");
  const { value } = await lines.next();
  return JSON.parse(value);
}

async function call(name, fn) {
  try {
    const value = await fn();
    out[name] = value === undefined ? null : JSON.parse(JSON.stringify(value));
    return value;
  } catch (error) {
    const detail = typeof error?.pretty === "function" ? error.pretty() : String(error?.stack ?? error);
    errors.push({ name, error: `${error?.name}: ${error?.message}`, detail: detail.slice(0, 4000) });
    return undefined;
  }
}

const ada = "ts-ada";
const bo = "ts-bo";

// ---- environments and integrations
await call("environments", () => novu.environments.list());
await call("integrationMail", () => novu.integrations.create({
  providerId: "nodemailer", channel: "email", name: "Local SMTP", identifier: "ts-mail", active: true,
  credentials: { host: "127.0.0.1", port: String(smtpPort), secure: false, ignoreTls: true,
                 from: "story@clarion.test", senderName: "Clarion Story" },
}));
await call("integrationExpo", () => novu.integrations.create({
  providerId: "expo", channel: "push", identifier: "ts-expo", active: true,
  credentials: { apiKey: "expo-access-token-123456" },
}));
await call("integrations", () => novu.integrations.list());
await call("integrationsActive", () => novu.integrations.listActive());

// ---- subscribers, credentials, online status
await call("created", () => novu.subscribers.create({
  subscriberId: ada, firstName: "ada", lastName: "Lovelace", email: "ada@clarion.test", locale: "en_US",
  data: { plan: "pro" },
}));
await call("credentialsSlack", () => novu.subscribers.credentials.update(
  { providerId: "slack", credentials: { webhookUrl: "https://hooks.slack.test/ada" } }, ada));
await call("credentialsExpo", () => novu.subscribers.credentials.append(
  { providerId: "expo", integrationIdentifier: "ts-expo", credentials: { deviceTokens: ["ExponentPushToken[ada]"] } },
  ada));
await call("online", () => novu.subscribers.properties.updateOnlineFlag({ isOnline: true }, ada));
await call("retrieved", () => novu.subscribers.retrieve(ada));
await call("patched", () => novu.subscribers.patch({ firstName: "Ada" }, ada));
await call("bulk", () => novu.subscribers.createBulk({ subscribers: [{ subscriberId: bo, firstName: "Bo" }] }));
await call("searched", () => novu.subscribers.search({ email: "ada@clarion.test", limit: 10 }));
await call("credentialsDeleted", () => novu.subscribers.credentials.delete(ada, "slack"));

// ---- topics and subscriptions
await call("topic", () => novu.topics.create({ key: "ts-news", name: "News" }));
await call("topicRenamed", () => novu.topics.update({ name: "Daily news" }, "ts-news"));
await call("topicGot", () => novu.topics.get("ts-news"));
await call("topics", () => novu.topics.list({ limit: 10 }));
await call("subscribed", () => novu.topics.subscriptions.create({ subscriberIds: [ada, bo] }, "ts-news"));
await call("subscriptions", () => novu.topics.subscriptions.list({ topicKey: "ts-news" }));
await call("adaTopics", () => novu.subscribers.topics.list({ subscriberId: ada }));

// ---- a v2 workflow written in Novu's Liquid
await call("workflow", () => novu.workflows.create({
  name: "TS welcome", workflowId: "ts-welcome", active: true,
  steps: [
    { name: "Inbox", type: "in_app", controlValues: {
      subject: "Hi {{ subscriber.firstName }}",
      body: "Hi {{ subscriber.firstName | upcase }}, order {{ payload.orderId | default: 'none' }}: "
        + "{{ payload.items | size }} items ({{ payload.items | join: ', ' }})",
    } },
    { name: "Mail", type: "email", controlValues: {
      subject: "Welcome {{ subscriber.firstName | capitalize }}",
      body: "<p>{% if payload.vip %}VIP{% else %}Regular{% endif %} since {{ payload.since | date: '%b %d, %Y' }}"
        + " [{{ payload.coupon | default: 'no coupon' }}]</p>",
    } },
  ],
}));
await call("workflowGot", () => novu.workflows.get("ts-welcome"));
await call("workflows", () => novu.workflows.list({ limit: 10 }));

// ---- layouts and translations
await call("layout", () => novu.layouts.create({ layoutId: "ts-brand", name: "Brand" }));
await call("layoutUpdated", () => novu.layouts.update({
  name: "Brand", controlValues: { email: { body: "<html><body><main>{{content}}</main></body></html>", editorType: "html" } },
}, "ts-brand"));
await call("layoutGot", () => novu.layouts.retrieve("ts-brand"));
await call("layouts", () => novu.layouts.list({ limit: 10 }));
await call("translation", () => novu.translations.create({
  resourceId: "ts-welcome", resourceType: "workflow", locale: "en_US", content: { greeting: "Hello" },
}));
await call("translationGot", () => novu.translations.retrieve({
  resourceType: "workflow", resourceId: "ts-welcome", locale: "en_US",
}));

// ---- preferences
await call("preferences", () => novu.subscribers.preferences.list({ subscriberId: ada }));
await call("preferenceOff", () => novu.subscribers.preferences.update(
  { workflowId: "story", channels: { inApp: false } }, bo));

// ---- triggers
const welcome = await call("trigger", () => novu.trigger({
  workflowId: "ts-welcome", to: ada,
  payload: { orderId: "A-1", items: ["tea", "cake"], vip: true, since: "2026-01-15T10:30:00Z",
             attachments: [{ file: Buffer.from("receipt A-1").toString("base64"), name: "receipt.txt", mime: "text/plain" }] },
  overrides: { email: { cc: ["accounts@clarion.test"], replyTo: "help@clarion.test" } },
}));
const bulk = await call("triggerBulk", () => novu.triggerBulk({ events: [
  { workflowId: "story", to: ada, payload: { orderId: "B-1" } },
  { workflowId: "story", to: [{ subscriberId: bo }], payload: { orderId: "B-2" } },
] }));
const topic = await call("triggerTopic", () => novu.trigger({
  workflowId: "story", to: [{ type: "Topic", topicKey: "ts-news" }], payload: { orderId: "T-1" },
}));
const broadcast = await call("broadcast", () => novu.triggerBroadcast({ name: "story", payload: { orderId: "C-1" } }));
const later = await call("triggerLater", () => novu.trigger({ workflowId: "story-later", to: ada, payload: { orderId: "L" } }));
await call("cancelled", () => novu.cancel(later?.result?.transactionId ?? later?.transactionId ?? "none"));
const ids = [welcome, topic, broadcast].map((r) => r?.result?.transactionId ?? r?.transactionId)
  .concat((bulk?.result ?? bulk ?? []).map((r) => r.transactionId)).filter(Boolean);
out.outcomes = await waitFor(...ids);

// ---- the v2 inbox
const inbox = await call("inbox", () => novu.subscribers.notifications.list({ subscriberId: ada, limit: 10 }));
await call("count", () => novu.subscribers.notifications.count(ada, JSON.stringify([{ read: false }, { seen: false }])));
const items = inbox?.result?.data ?? inbox?.data ?? [];
const first = items.find((n) => n.body.startsWith("Hi ADA"));
if (first) {
  await call("seen", () => novu.subscribers.notifications.markAsSeen({ notificationIds: [first.id] }, ada));
  await call("read", () => novu.subscribers.notifications.markAsRead({ subscriberId: ada, notificationId: first.id }));
  await call("archived", () => novu.subscribers.notifications.archive({ subscriberId: ada, notificationId: first.id }));
}
await call("readAll", () => novu.subscribers.notifications.markAllAsRead({}, ada));
await call("countAfter", () => novu.subscribers.notifications.count(ada, JSON.stringify([{ read: false }, { archived: true }])));
await call("feed", () => novu.subscribers.notifications.feed({ subscriberId: bo }));
await call("unseen", () => novu.subscribers.notifications.unseenCount({ subscriberId: bo }));
await call("markAll", () => novu.subscribers.messages.markAll({ markAs: "seen" }, bo));

// ---- messages and the activity feed
await call("messages", () => novu.messages.retrieve({ subscriberId: ada, limit: 50 }));
const activity = await call("activity", () => novu.notifications.list({ limit: 50 }));
const feedItems = activity?.result?.data ?? activity?.data ?? [];
if (feedItems.length) {
  await call("activityOne", () => novu.notifications.retrieve(feedItems[0].id ?? feedItems[0]._id));
}

// ---- clean up what the SDK can delete
await call("unsubscribed", () => novu.topics.subscriptions.delete({ subscriberIds: [bo] }, "ts-news"));
await call("translationDeleted", () => novu.translations.delete({
  resourceType: "workflow", resourceId: "ts-welcome", locale: "en_US",
}));
await call("layoutDeleted", () => novu.layouts.delete("ts-brand"));
await call("topicDeleted", () => novu.topics.delete("ts-news"));
await call("deleted", () => novu.subscribers.delete(bo));

process.stdout.write(JSON.stringify({ result: { out, errors } }) + "\n");
process.exit(0);
