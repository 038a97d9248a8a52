// Chat (docs/protocol.md, "Chat"): the world channel, named channels with
// presence and history, private messages. Every method resolves when the
// server's ChatReply says Ok and rejects with a ChatError (its `status` is the
// ChatResult) otherwise. Incoming messages are the client's `chatMessage` and
// `presence` events.

import { ChatError } from '../errors/request-errors';
import { ChatResult } from '../generated/citadel/msg/chat-result';
import type { ClientCore } from '../client/core';
import {
  decodeChatReply,
  encodeChannelRequest,
  encodeChatOnlineCount,
  encodeChatPrivate,
  encodeChatSend,
  type ChannelRequest,
  type PrivateRecipient,
} from '../messages/chat';
import type { ChatMember, ChatMessage, ChatReply } from '../messages/types';
import { Cmd } from '../wire/commands';
import type { Frame } from '../wire/frame';

/** Everyone is in it from login; it sends no presence. */
export const WORLD_CHANNEL = 'world';

export interface ChannelJoined {
  readonly channel: string;
  /** Who is in the channel now, you included; null past `chat.presence_max_members` (ask members()). */
  readonly members: readonly ChatMember[] | null;
  /** The channel's last messages (50 by default), oldest first. */
  readonly history: readonly ChatMessage[];
}

export class ChatApi {
  constructor(private readonly core: ClientCore) {}

  /** Creates a named channel and joins it (ChannelExists if it exists). */
  create(channel: string): Promise<ChannelJoined> {
    return this.channelRequest('create', Cmd.ChatCreate, channel, joined);
  }

  /** Joins a named channel (NoSuchChannel if nobody is in it). */
  join(channel: string): Promise<ChannelJoined> {
    return this.channelRequest('join', Cmd.ChatJoin, channel, joined);
  }

  leave(channel: string): Promise<void> {
    return this.channelRequest('leave', Cmd.ChatLeave, channel, () => undefined);
  }

  /** The members of a named channel. */
  members(channel: string): Promise<readonly ChatMember[]> {
    return this.channelRequest('members', Cmd.ChatMembers, channel, (r) => r.members ?? []);
  }

  /** Says `text` (1 to 512 UTF-8 bytes) in a channel you are in; every member, you too, gets a chatMessage. */
  send(channel: string, text: string): Promise<void> {
    return this.core.request(
      Cmd.ChatSend,
      Cmd.ChatReply,
      (id) => encodeChatSend(id, channel, text),
      (frame) => void okReply(Cmd.ChatSend, frame),
    );
  }

  /** Says `text` in the world channel. */
  sendWorld(text: string): Promise<void> {
    return this.send(WORLD_CHANNEL, text);
  }

  /** A private message to a user (online) by id or by name; it arrives with `private: true`. */
  sendPrivate(to: PrivateRecipient, text: string): Promise<void> {
    return this.core.request(
      Cmd.ChatPrivate,
      Cmd.ChatReply,
      (id) => encodeChatPrivate(id, to, text),
      (frame) => void okReply(Cmd.ChatPrivate, frame),
    );
  }

  /** How many users are online (the world channel lists no members). */
  onlineCount(): Promise<number> {
    return this.core.request(Cmd.ChatOnlineCount, Cmd.ChatReply, encodeChatOnlineCount, (frame) =>
      okReply(Cmd.ChatOnlineCount, frame).onlineCount,
    );
  }

  private channelRequest<T>(
    kind: ChannelRequest,
    cmd: number,
    channel: string,
    result: (reply: ChatReply) => T,
  ): Promise<T> {
    return this.core.request(
      cmd,
      Cmd.ChatReply,
      (id) => encodeChannelRequest(kind, id, channel),
      (frame) => result(okReply(cmd, frame)),
    );
  }
}

function okReply(cmd: number, frame: Frame): ChatReply {
  const reply = decodeChatReply(frame.payload);
  if (reply.result !== ChatResult.Ok) throw new ChatError(cmd, reply.result, reply.message, reply.channel);
  return reply;
}

function joined(reply: ChatReply): ChannelJoined {
  return { channel: reply.channel, members: reply.members, history: reply.history };
}
