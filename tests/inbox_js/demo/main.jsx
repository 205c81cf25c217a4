// The demo page of `clarion dev`: Novu's <Inbox /> (@novu/react, unchanged) for a demo subscriber, and a
// button that triggers the demo workflow. Built into api/novu/inbox/demo_assets/inbox-demo.js by build_demo.mjs.
import React, { useState } from 'react';
import { createRoot } from 'react-dom/client';
import { Inbox } from '@novu/react';

const config = window.CLARION_DEMO;

// A bell that shows the unread count as a number (Novu's default bell shows a dot).
function Bell({ unreadCount }) {
  return (
    <span style={{ position: 'relative', display: 'inline-flex', padding: 6, cursor: 'pointer', fontSize: 24 }}>
      <svg aria-hidden="true" width="24" height="24" viewBox="0 0 24 24" fill="none" stroke="#344054" strokeWidth="2"
        strokeLinecap="round" strokeLinejoin="round">
        <path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9" />
        <path d="M13.73 21a2 2 0 0 1-3.46 0" />
      </svg>
      <span id="bell-count" aria-label={`${unreadCount.total} unread`} style={{
        position: 'absolute', top: 0, right: -6, minWidth: 18, height: 18, borderRadius: 9, fontSize: 12,
        lineHeight: '18px', textAlign: 'center', color: '#fff', fontFamily: 'system-ui, sans-serif',
        background: unreadCount.total > 0 ? '#d92d20' : '#98a2b3',
      }}>{unreadCount.total}</span>
    </span>
  );
}

function App() {
  const [status, setStatus] = useState('');
  const trigger = async () => {
    setStatus('Sending…');
    const response = await fetch(config.triggerUrl, { method: 'POST' });
    const body = await response.json();
    setStatus(response.ok ? `Triggered ${body.data.transactionId}` : `Failed: ${body.message}`);
  };
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 720, margin: '40px auto', padding: '0 16px' }}>
      <header style={{ display: 'flex', justifyContent: 'space-between', alignItems: 'center' }}>
        <h1 style={{ fontSize: 22 }}>Clarion inbox demo</h1>
        <div id="inbox">
          <Inbox
            applicationIdentifier={config.applicationIdentifier}
            subscriber={config.subscriberId}
            backendUrl={config.apiUrl}
            socketUrl={config.apiUrl}
            renderBell={(unreadCount) => <Bell unreadCount={unreadCount} />}
          />
        </div>
      </header>
      <p>
        Novu&apos;s <code>&lt;Inbox /&gt;</code> for subscriber <code>{config.subscriberId}</code>, against this
        Clarion ({config.apiUrl}), live over socket.io.
      </p>
      <button id="trigger" type="button" onClick={trigger} style={{ padding: '8px 14px', fontSize: 15 }}>
        Trigger the “{config.workflow}” workflow
      </button>
      <p id="status">{status}</p>
    </main>
  );
}

createRoot(document.getElementById('root')).render(<App />);
