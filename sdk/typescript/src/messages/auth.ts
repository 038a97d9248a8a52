// auth.fbs: the login requests, Resume, Logout, and AuthReply.

import { AuthReply as AuthReplyTable } from '../generated/citadel/msg/auth-reply';
import { GuestLogin } from '../generated/citadel/msg/guest-login';
import { Login } from '../generated/citadel/msg/login';
import { Logout } from '../generated/citadel/msg/logout';
import { Register } from '../generated/citadel/msg/register';
import { Resume } from '../generated/citadel/msg/resume';
import { buildTable, byteBuffer, msNumber, str } from './flatbuffers-io';
import type { AuthReply } from './types';

export function encodeGuestLogin(requestId: number, deviceId: string): Uint8Array {
  return buildTable((b) => GuestLogin.createGuestLogin(b, requestId, b.createString(deviceId)));
}

export function encodeRegister(requestId: number, username: string, password: string): Uint8Array {
  return buildTable((b) => {
    const user = b.createString(username);
    const pass = b.createString(password);
    return Register.createRegister(b, requestId, user, pass);
  });
}

export function encodeLogin(requestId: number, username: string, password: string): Uint8Array {
  return buildTable((b) => {
    const user = b.createString(username);
    const pass = b.createString(password);
    return Login.createLogin(b, requestId, user, pass);
  });
}

export function encodeResume(requestId: number, token: string, lastPushId: bigint): Uint8Array {
  return buildTable((b) => Resume.createResume(b, requestId, b.createString(token), lastPushId));
}

export function encodeLogout(requestId: number): Uint8Array {
  return buildTable((b) => Logout.createLogout(b, requestId));
}

export function decodeAuthReply(payload: Uint8Array): AuthReply {
  const m = AuthReplyTable.getRootAsAuthReply(byteBuffer(payload));
  return {
    requestId: m.requestId(),
    result: m.result(),
    message: str(m.message()),
    userId: m.userId(),
    username: str(m.username()),
    token: str(m.token()),
    tokenExpiresUnixMs: msNumber(m.tokenExpiresUnixMs()),
    resumed: m.resumed(),
    resyncRequired: m.resyncRequired(),
  };
}
