// A one-line notice for the next page: after a rename the file page moves to the new name (a new
// page), which then says what happened. In memory only, for that name, for a few seconds (reading
// does not clear it: React may run a state initializer twice).
const FRESH_MS = 5000;
let pending: { name: string; text: string; at: number } | undefined;

export function setFlash(name: string, text: string): void {
  pending = { name, text, at: Date.now() };
}

export function flashFor(name: string): string | undefined {
  return pending && pending.name === name && Date.now() - pending.at < FRESH_MS ? pending.text : undefined;
}
