// One error class per ERROR code of docs/protocol.md, and the request errors.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  AuthError,
  AuthResult,
  BadMagicError,
  BadPayloadError,
  ChatError,
  ChatResult,
  CitadelError,
  ErrorCode,
  FrameTooLargeError,
  IdleTimeoutError,
  LeaderboardError,
  LeaderboardResult,
  LoggedInElsewhereError,
  LoginTimeoutError,
  NotAuthenticatedError,
  NotInRoomError,
  RequestFailedError,
  RoomError,
  RoomResult,
  serverErrorFor,
  ServerError,
  ServerFullError,
  ShuttingDownError,
  TooManyFromAddressError,
  UnknownCommandError,
  UnknownServerError,
} from '../../dist/index';

describe('server errors', () => {
  const table: [number, Function, boolean][] = [
    [1, BadMagicError, true],
    [2, FrameTooLargeError, true],
    [3, UnknownCommandError, false],
    [4, ServerFullError, true],
    [5, TooManyFromAddressError, true],
    [6, IdleTimeoutError, true],
    [7, ShuttingDownError, true],
    [8, BadPayloadError, false],
    [9, NotAuthenticatedError, false],
    [10, LoginTimeoutError, true],
    [11, LoggedInElsewhereError, true],
    [12, NotInRoomError, false],
  ];

  it('has one class per code, each knowing whether the connection closes', () => {
    assert.equal(table.length, Object.keys(ErrorCode).length);
    for (const [code, Class, closes] of table) {
      const e = serverErrorFor(code, `text ${code}`, 0x0203);
      assert.ok(e instanceof Class, `code ${code}`);
      assert.ok(e instanceof ServerError && e instanceof CitadelError && e instanceof Error);
      assert.equal(e.code, code);
      assert.equal(e.closesConnection, closes, `code ${code}`);
      assert.equal(e.text, `text ${code}`);
      assert.equal(e.message, `text ${code}`);
      assert.equal(e.cmd, 0x0203);
      assert.equal(e.name, Class.name);
    }
  });

  it('keeps an unknown code', () => {
    const e = serverErrorFor(99, 'new');
    assert.ok(e instanceof UnknownServerError);
    assert.equal(e.code, 99);
  });
});

describe('request errors', () => {
  it('carry the status and its name', () => {
    const auth = new AuthError(0x0102, AuthResult.BadCredentials, 'bad username or password');
    assert.ok(auth instanceof RequestFailedError && auth instanceof CitadelError);
    assert.equal(auth.status, AuthResult.BadCredentials);
    assert.equal(auth.statusName, 'BadCredentials');
    assert.match(auth.message, /Login refused: BadCredentials/);
    const chat = new ChatError(0x0203, ChatResult.NotMember, 'not a member', 'lobby');
    assert.equal(chat.statusName, 'NotMember');
    assert.equal(chat.channel, 'lobby');
    const room = new RoomError(0x0304, RoomResult.NoMatch, 'no match found in time');
    assert.equal(room.statusName, 'NoMatch');
    const board = new LeaderboardError(0x0504, LeaderboardResult.NotRanked, 'no record', 'weekly');
    assert.ok(board instanceof RequestFailedError);
    assert.equal(board.status, LeaderboardResult.NotRanked);
    assert.equal(board.statusName, 'NotRanked');
    assert.equal(board.boardId, 'weekly');
    assert.match(board.message, /LeaderboardMine refused: NotRanked \(no record\)/);
  });
});
