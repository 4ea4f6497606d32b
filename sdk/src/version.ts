/** Sent as `User-Agent: runboard-sdk/<version>`; the sdk-package test checks it against package.json. */
export const SDK_VERSION = '0.1.0';
