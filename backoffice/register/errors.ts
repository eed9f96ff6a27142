/**
 * Errors of the register's commands. Messages are Japanese, for the counter; none of them ever
 * carries a personal value (a name, a date of birth, a 個人番号): only field paths and rules.
 */

/**
 * Bad input, refused before anything is written. `fields` maps a field path of the command's
 * input (e.g. "persons.0.birthDate", "address.chome") to a Japanese message; a form shows each
 * next to its field.
 */
export class RegisterValidationError extends Error {
  override readonly name = "RegisterValidationError";
  readonly fields: Record<string, string>;

  constructor(fields: Record<string, string>) {
    const count = Object.keys(fields).length;
    super(`入力内容に誤りがあります（${count}件）: ${Object.keys(fields).join(", ")}`);
    this.fields = fields;
  }
}

/** Collects field errors; the first message for a field wins. */
export class FieldErrors {
  readonly fields: Record<string, string> = {};

  add(path: string, message: string): void {
    if (!(path in this.fields)) this.fields[path] = message;
  }

  get empty(): boolean {
    return Object.keys(this.fields).length === 0;
  }

  has(path: string): boolean {
    return path in this.fields;
  }

  /** Throws RegisterValidationError when any error was collected. */
  throwIfAny(): void {
    if (!this.empty) throw new RegisterValidationError({ ...this.fields });
  }
}

/** Throws a RegisterValidationError for a single field. */
export function fieldError(path: string, message: string): never {
  throw new RegisterValidationError({ [path]: message });
}

/**
 * The record changed since the caller read it (optimistic concurrency on `version`): reload and
 * try again.
 */
export class ConcurrentModificationError extends Error {
  override readonly name = "ConcurrentModificationError";
  constructor(
    readonly residentId: string,
    readonly expectedVersion: number,
    readonly actualVersion: number,
  ) {
    super(
      `この住民記録は他の処理で更新されました（版 ${expectedVersion} → ${actualVersion}）。最新の記録を表示してやり直してください`,
    );
  }
}

/** The request key was already used for a different command or different input. */
export class RequestKeyReusedError extends Error {
  override readonly name = "RequestKeyReusedError";
  constructor(readonly requestKey: string) {
    super("この要求キーは別の内容の処理に使われています。新しい要求キーで送ってください");
  }
}
