// Signals by name and by number (Python's programs use numbers).
import { rangeError } from "./_validate.ts";

// Linux numbers, for Python's negative returncode of a signalled child.
export const signalNumbers: Record<string, number> = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGILL: 4,
  SIGTRAP: 5,
  SIGABRT: 6,
  SIGBUS: 7,
  SIGFPE: 8,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGSEGV: 11,
  SIGUSR2: 12,
  SIGPIPE: 13,
  SIGALRM: 14,
  SIGTERM: 15,
};

export function signalName(
  signal: Deno.Signal | number,
  call = "sendSignal()",
): Deno.Signal {
  if (typeof signal === "string") return signal;
  for (const [name, number] of Object.entries(signalNumbers)) {
    if (number === signal) return name as Deno.Signal;
  }
  throw rangeError(call, "signal", "a signal name or a known number", signal);
}
