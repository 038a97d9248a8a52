// @citadel/sdk: the TypeScript client of the Citadel game server. This entry
// point has no dependency on Node: in a browser it uses the native WebSocket.
// On Node 18/20 import from '@citadel/sdk/node' instead (it brings `ws`).

export { CitadelClient, type AuthSession, type ClientStats, type RawRequestOptions } from './client/citadel-client';
export type { ClientEvents, ClientState, SessionEvent } from './client/events';
export type { BackoffOptions, ClientOptions, Jitter } from './client/options';
export { DEFAULT_BACKOFF } from './client/options';
export { ReconnectSchedule, backoffCeiling, type ReconnectAttempt } from './client/backoff';
export type { SessionEventKind, SessionInfo } from './client/session-state';

export { ChatApi, WORLD_CHANNEL, type ChannelJoined } from './api/chat';
export { RoomsApi, type CurrentRoom, type FindMatchOptions, type MatchFound } from './api/rooms';
export { ArenaApi } from './api/arena';
export { LockstepApi } from './api/lockstep';
export { StorageApi, type StorageListOptions, type StoragePage } from './api/storage';
export type {
  StorageDeleteRequest,
  StorageObject,
  StorageObjectRef,
  StorageWriteRequest,
} from './messages/storage';
export {
  LeaderboardsApi,
  type LeaderboardAroundOptions,
  type LeaderboardPage,
  type LeaderboardPeriodOptions,
  type LeaderboardSubmitOptions,
  type LeaderboardSubmitted,
  type LeaderboardTopOptions,
} from './api/leaderboards';
export type { LeaderboardRecord } from './messages/leaderboard';
export type { PrivateRecipient } from './messages/chat';
export { MAX_LOCKSTEP_INPUT_BYTES } from './messages/lockstep';
export type * from './messages/types';

export { AuthResult } from './generated/citadel/msg/auth-result';
export { ChatResult } from './generated/citadel/msg/chat-result';
export { RoomResult } from './generated/citadel/msg/room-result';
export { RoomEventKind } from './generated/citadel/msg/room-event-kind';
export { StorageResult } from './generated/citadel/msg/storage-result';
export { LeaderboardResult } from './generated/citadel/msg/leaderboard-result';
export { LeaderboardPeriod } from './generated/citadel/msg/leaderboard-period';

export * from './errors/citadel-error';
export * from './errors/server-errors';
export * from './errors/request-errors';

export { Cmd, cmdName, type CmdName } from './wire/commands';
export { ErrorCode, type ErrorCodeName } from './wire/error-payload';
export { encodeFrame, decodeFrame, FrameDecodeError, FRAME_MAGIC, HEADER_BYTES, type Frame } from './wire/frame';
export { nativeWebSocketFactory, type WebSocketFactory, type WebSocketLike } from './transport/websocket-like';
