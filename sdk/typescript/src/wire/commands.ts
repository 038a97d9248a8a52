// Command ids of the Citadel frame protocol (docs/protocol.md, "Commands" and
// the tables of each application message). The cmd is the frame header's
// second field; it says which FlatBuffers table the payload holds.

export const Cmd = {
  Ping: 0x0001,
  Pong: 0x0002,
  Echo: 0x0003,
  Error: 0x00ff,

  GuestLogin: 0x0100,
  Register: 0x0101,
  Login: 0x0102,
  Resume: 0x0103,
  AuthReply: 0x0104,
  Logout: 0x0105,

  ChatCreate: 0x0200,
  ChatJoin: 0x0201,
  ChatLeave: 0x0202,
  ChatSend: 0x0203,
  ChatPrivate: 0x0204,
  ChatMembers: 0x0205,
  ChatOnlineCount: 0x0206,
  ChatReply: 0x0207,
  ChatMessage: 0x0210,
  Presence: 0x0211,

  RoomJoin: 0x0300,
  RoomLeave: 0x0301,
  RoomReply: 0x0302,
  RoomEvent: 0x0303,
  MatchFind: 0x0304,
  MatchCancel: 0x0305,
  MatchResult: 0x0306,

  ArenaInput: 0x0310,
  ArenaState: 0x0311,

  LockstepInput: 0x0320,
  LockstepFrame: 0x0321,

  StorageRead: 0x0400,
  StorageWrite: 0x0401,
  StorageDelete: 0x0402,
  StorageList: 0x0403,
  StorageReply: 0x0404,

  LeaderboardSubmit: 0x0500,
  LeaderboardTop: 0x0501,
  LeaderboardAround: 0x0502,
  LeaderboardRecords: 0x0503,
  LeaderboardMine: 0x0504,
  LeaderboardReply: 0x0505,
  LeaderboardDelete: 0x0506,
} as const;

export type CmdName = keyof typeof Cmd;

const namesById = new Map<number, CmdName>(
  (Object.keys(Cmd) as CmdName[]).map((name) => [Cmd[name], name]),
);

/** "ChatSend" for 0x0203; "0x7f00" for a cmd this SDK does not know. */
export function cmdName(cmd: number): string {
  return namesById.get(cmd) ?? cmdHex(cmd);
}

export function cmdHex(cmd: number): string {
  return '0x' + cmd.toString(16).padStart(4, '0');
}
