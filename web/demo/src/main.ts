// The browser demo of the arena (docs/browser-demo.md): a guest logs in,
// joins (or creates) an arena room, moves with the arrow keys or WASD, sees
// everyone in the room move, and chats on the world channel. All of it through
// @citadel/sdk over a WebSocket to the server that served this page.
//
// No framework: one canvas, one chat box, one status line. The SDK does the
// hard parts (reconnect with backoff, resume, back into the room).

import { CitadelClient, RoomEventKind, WORLD_CHANNEL, type ArenaPlayer } from '../../../sdk/typescript/src/index';

const FIELD = 1000; // the arena's field is 1000 x 1000 (docs/protocol.md, "The arena demo")
const DEFAULT_TICK_HZ = 20;

function element<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`demo page has no #${id}`);
  return e as T;
}

const canvas = element<HTMLCanvasElement>('arena');
const statusLine = element<HTMLElement>('status');
const whoLine = element<HTMLElement>('who');
const chatLog = element<HTMLElement>('chat-log');
const chatForm = element<HTMLFormElement>('chat-form');
const chatInput = element<HTMLInputElement>('chat-input');
const ctx = canvas.getContext('2d')!;

// The WebSocket shares this page's origin (Citadel serves both on one port);
// ?ws=ws://host:port/path points it elsewhere (the page's Content-Security-Policy
// allows only its own origin, so in practice another path on it).
function webSocketUrl(): string {
  const override = new URLSearchParams(location.search).get('ws');
  if (override) return override;
  return `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/`;
}

// One guest per tab: sessionStorage survives a reload but is not shared with
// other tabs, so two tabs are two players (with localStorage the second
// tab's login would take the first one's session over).
function deviceId(): string {
  const key = 'citadel-demo-device';
  let id = sessionStorage.getItem(key);
  if (!id) {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    id = 'web-' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
    sessionStorage.setItem(key, id);
  }
  return id;
}

const client = new CitadelClient({ url: webSocketUrl() });
let myId: bigint | null = null;
let status = 'connecting';
const sessionEvents: string[] = [];
const chatLines: string[] = [];
const names = new Map<bigint, string>();

function setStatus(text: string, kind: string): void {
  status = kind;
  statusLine.textContent = text;
  statusLine.dataset.status = kind;
}

function addChatLine(text: string): void {
  chatLines.push(text);
  const line = document.createElement('div');
  line.textContent = text; // text, never HTML: messages come from other players
  chatLog.append(line);
  while (chatLog.childElementCount > 200) chatLog.firstElementChild?.remove();
  chatLog.scrollTop = chatLog.scrollHeight;
}

client.on('connecting', () => setStatus('connecting…', 'connecting'));
client.on('connected', ({ reconnected }) => {
  if (reconnected) setStatus('reconnected, resuming…', 'resuming');
  else setStatus('connected', 'connected');
});
client.on('disconnected', ({ reason }) => setStatus(`connection lost (${reason})`, 'disconnected'));
client.on('reconnecting', ({ attempt, delayMs }) =>
  setStatus(`reconnecting (attempt ${attempt + 1} in ${Math.round(delayMs)} ms)…`, 'reconnecting'),
);
client.on('gaveUp', ({ reason }) => setStatus(`gave up: ${reason}`, 'gave-up'));
client.on('session', (e) => {
  sessionEvents.push(e.kind);
  if (e.kind === 'resumed' || e.kind === 'resyncRequired') setStatus('resumed: back in the arena', 'resumed');
  if (e.kind === 'lost') {
    setStatus(`session lost (${e.message}): reload to play again`, 'lost');
  }
});
client.on('chatMessage', (m) => {
  if (m.channel === WORLD_CHANNEL) addChatLine(`<${m.fromUsername}> ${m.text}`);
});
client.on('roomEvent', (e) => {
  if (e.username) names.set(e.userId, e.username);
  if (e.kind === RoomEventKind.PlayerJoined) addChatLine(`* ${e.username} joined the arena`);
  if (e.kind === RoomEventKind.PlayerLeft) addChatLine(`* ${e.username} left the arena`);
});

// ---- keyboard: arrows or WASD, sent at the room's tick rate ----

const held = new Set<string>();
const KEYS: Record<string, [number, number]> = {
  ArrowLeft: [-1, 0], a: [-1, 0], A: [-1, 0],
  ArrowRight: [1, 0], d: [1, 0], D: [1, 0],
  ArrowUp: [0, -1], w: [0, -1], W: [0, -1],
  ArrowDown: [0, 1], s: [0, 1], S: [0, 1],
};

function typing(e: KeyboardEvent): boolean {
  return e.target instanceof HTMLInputElement || e.target instanceof HTMLTextAreaElement;
}
window.addEventListener('keydown', (e) => {
  if (typing(e) || !(e.key in KEYS)) return;
  held.add(e.key);
  e.preventDefault(); // arrows would scroll the page
});
window.addEventListener('keyup', (e) => {
  held.delete(e.key);
});
window.addEventListener('blur', () => held.clear());

let lastSent: [number, number] = [0, 0];
function inputTick(): void {
  let dx = 0;
  let dy = 0;
  for (const key of held) {
    dx += KEYS[key][0];
    dy += KEYS[key][1];
  }
  dx = Math.max(-1, Math.min(1, dx));
  dy = Math.max(-1, Math.min(1, dy));
  // The room moves by the latest input every tick: send while a key is
  // held, and one (0, 0) when they are all released.
  if ((dx !== 0 || dy !== 0 || lastSent[0] !== 0 || lastSent[1] !== 0) && client.rooms.current) {
    if (client.arena.sendInput(dx, dy) !== null) lastSent = [dx, dy];
  }
}

// ---- drawing ----

function draw(): void {
  const scale = canvas.width / FIELD;
  ctx.fillStyle = '#10141c';
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.strokeStyle = '#1f2733';
  for (let g = 100; g < FIELD; g += 100) {
    ctx.beginPath();
    ctx.moveTo(g * scale, 0);
    ctx.lineTo(g * scale, canvas.height);
    ctx.moveTo(0, g * scale);
    ctx.lineTo(canvas.width, g * scale);
    ctx.stroke();
  }
  ctx.font = '12px sans-serif';
  ctx.textAlign = 'center';
  for (const p of client.arena.players.values()) {
    const mine = p.userId === myId;
    const x = p.x * scale;
    const y = p.y * scale;
    ctx.fillStyle = mine ? '#f5c542' : '#4fa3ff';
    ctx.beginPath();
    ctx.arc(x, y, 8, 0, Math.PI * 2);
    ctx.fill();
    ctx.fillStyle = '#d8dee9';
    ctx.fillText(names.get(p.userId) ?? `#${p.userId}`, x, y - 12);
  }
  requestAnimationFrame(draw);
}

// ---- the test hook: what tests/browser reads (small, read-only) ----

interface DemoView {
  status: string;
  userId: string | null;
  username: string | null;
  roomId: string | null;
  players: { id: string; x: number; y: number; ack: number }[];
  chat: string[];
  sessionEvents: string[];
}
declare global {
  interface Window {
    citadelDemo: () => DemoView;
  }
}
window.citadelDemo = () => ({
  status,
  userId: myId === null ? null : String(myId),
  username: client.session.username || null,
  roomId: client.rooms.current ? String(client.rooms.current.roomId) : null,
  players: Array.from(client.arena.players.values(), (p: ArenaPlayer) => ({
    id: String(p.userId),
    x: p.x,
    y: p.y,
    ack: p.ack,
  })),
  chat: [...chatLines],
  sessionEvents: [...sessionEvents],
});

// ---- start ----

chatForm.addEventListener('submit', (e) => {
  e.preventDefault();
  const text = chatInput.value.trim();
  if (!text) return;
  chatInput.value = '';
  client.chat.sendWorld(text).catch((err: Error) => addChatLine(`! not sent: ${err.message}`));
});

async function start(): Promise<void> {
  setStatus('connecting…', 'connecting');
  await client.connect();
  const me = await client.loginGuest(deviceId());
  myId = me.userId;
  names.set(me.userId, me.username);
  whoLine.textContent = `you are ${me.username}`;
  const room = await client.rooms.joinOrCreate('arena');
  for (const m of room.members) names.set(m.userId, m.username);
  setStatus(`connected: arena room ${room.roomId}`, 'connected');
  setInterval(inputTick, 1000 / (room.tickHz || DEFAULT_TICK_HZ));
}

requestAnimationFrame(draw);
start().catch((err: Error) => setStatus(`could not start: ${err.message}`, 'failed'));
