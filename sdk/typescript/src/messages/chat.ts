// chat.fbs: the chat requests, ChatReply, and the ChatMessage and Presence pushes.

import { ChatCreate } from '../generated/citadel/msg/chat-create';
import { ChatJoin } from '../generated/citadel/msg/chat-join';
import { ChatLeave } from '../generated/citadel/msg/chat-leave';
import { ChatMembers } from '../generated/citadel/msg/chat-members';
import { ChatMessage as ChatMessageTable } from '../generated/citadel/msg/chat-message';
import { ChatOnlineCount } from '../generated/citadel/msg/chat-online-count';
import { ChatPrivate } from '../generated/citadel/msg/chat-private';
import { ChatReply as ChatReplyTable } from '../generated/citadel/msg/chat-reply';
import { ChatSend } from '../generated/citadel/msg/chat-send';
import { Member } from '../generated/citadel/msg/member';
import { Presence as PresenceTable } from '../generated/citadel/msg/presence';
import { buildTable, byteBuffer, msNumber, str } from './flatbuffers-io';
import type { ChatMember, ChatMessage, ChatReply, Presence } from './types';

/** The request tables that carry only a request id and a channel. */
export type ChannelRequest = 'create' | 'join' | 'leave' | 'members';

export function encodeChannelRequest(kind: ChannelRequest, requestId: number, channel: string): Uint8Array {
  return buildTable((b) => {
    const name = b.createString(channel);
    switch (kind) {
      case 'create':
        return ChatCreate.createChatCreate(b, requestId, name);
      case 'join':
        return ChatJoin.createChatJoin(b, requestId, name);
      case 'leave':
        return ChatLeave.createChatLeave(b, requestId, name);
      case 'members':
        return ChatMembers.createChatMembers(b, requestId, name);
    }
  });
}

export function encodeChatSend(requestId: number, channel: string, text: string): Uint8Array {
  return buildTable((b) => {
    const name = b.createString(channel);
    const body = b.createString(text);
    return ChatSend.createChatSend(b, requestId, name, body);
  }, 64 + text.length * 3);
}

/** A private message goes to a user id, or else to a user name. */
export type PrivateRecipient = { readonly userId: bigint | number } | { readonly username: string };

export function encodeChatPrivate(requestId: number, to: PrivateRecipient, text: string): Uint8Array {
  return buildTable((b) => {
    const name = 'username' in to ? b.createString(to.username) : 0;
    const body = b.createString(text);
    const id = 'userId' in to ? BigInt(to.userId) : 0n;
    return ChatPrivate.createChatPrivate(b, requestId, id, name, body);
  }, 64 + text.length * 3);
}

export function encodeChatOnlineCount(requestId: number): Uint8Array {
  return buildTable((b) => ChatOnlineCount.createChatOnlineCount(b, requestId));
}

function member(m: Member): ChatMember {
  return { userId: m.userId(), username: str(m.username()), online: m.online() };
}

function message(m: ChatMessageTable): ChatMessage {
  return {
    pushId: m.pushId(),
    channel: str(m.channel()),
    fromUserId: m.fromUserId(),
    fromUsername: str(m.fromUsername()),
    text: str(m.text()),
    sentUnixMs: msNumber(m.sentUnixMs()),
    private: m.private_(),
  };
}

export function decodeChatReply(payload: Uint8Array): ChatReply {
  const m = ChatReplyTable.getRootAsChatReply(byteBuffer(payload));
  // members absent (not an empty vector) means "not listed": keep the difference.
  const listed = m.membersLength() > 0 || hasField(m, 12);
  const members: ChatMember[] = [];
  for (let i = 0; i < m.membersLength(); i++) members.push(member(m.members(i)!));
  const history: ChatMessage[] = [];
  for (let i = 0; i < m.historyLength(); i++) history.push(message(m.history(i)!));
  return {
    requestId: m.requestId(),
    result: m.result(),
    message: str(m.message()),
    channel: str(m.channel()),
    members: listed ? members : null,
    onlineCount: Number(m.onlineCount()),
    history,
  };
}

/** Whether a table has the field at vtable offset `vtableOffset` (4 + 2 * field index). */
function hasField(table: ChatReplyTable, vtableOffset: number): boolean {
  return table.bb !== null && table.bb.__offset(table.bb_pos, vtableOffset) !== 0;
}

export function decodeChatMessage(payload: Uint8Array): ChatMessage {
  return message(ChatMessageTable.getRootAsChatMessage(byteBuffer(payload)));
}

export function decodePresence(payload: Uint8Array): Presence {
  const m = PresenceTable.getRootAsPresence(byteBuffer(payload));
  return {
    pushId: m.pushId(),
    channel: str(m.channel()),
    userId: m.userId(),
    username: str(m.username()),
    online: m.online(),
  };
}
