import { CitadelClient, ChatError, RoomEventKind } from '@citadel/sdk/node';

export async function quickstart(url: string, log: (line: string) => void = console.log): Promise<void> {
  const client = new CitadelClient({ url }); // reconnects and resumes by itself
  client.on('chatMessage', (m) => log(`${m.channel || 'private'} <${m.fromUsername}> ${m.text}`));
  client.on('roomEvent', (e) => log(`room ${e.roomId}: ${RoomEventKind[e.kind]} ${e.username}`));
  client.on('disconnected', (e) => log(`link down (${e.reason}); reconnecting`));
  client.on('session', (e) => log(`session ${e.kind}`));

  await client.connect();
  const me = await client.loginGuest('quickstart-device-1');
  log(`logged in as ${me.username} (user ${me.userId})`);

  await client.chat.sendWorld('hello, world');
  try {
    await client.chat.send('no-such-channel', 'hi');
  } catch (e) {
    if (e instanceof ChatError) log(`refused: ${e.statusName}`); // NoSuchChannel
  }

  const room = await client.rooms.joinOrCreate('arena');
  log(`in arena room ${room.roomId} with ${room.members.length} player(s)`);
  const moved = new Promise<void>((resolve) => {
    const off = client.on('arenaState', ({ players }) => {
      const mine = players.get(me.userId); // the whole field, deltas applied
      if (mine && mine.ack >= 1) {
        log(`I am at (${mine.x}, ${mine.y})`);
        off();
        resolve();
      }
    });
  });
  client.arena.sendInput(1, 0); // dx, dy in [-1, 1]
  await moved;

  await client.rooms.leave();
  await client.logout();
  client.close();
}
