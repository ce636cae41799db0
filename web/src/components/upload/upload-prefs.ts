// The upload form remembers its codec and folder in this browser (localStorage).
const KEY = 'dcs.uploadPrefs';

export interface UploadPrefs {
  codec?: string;
  prefix?: string;
}

export function loadPrefs(): UploadPrefs {
  try {
    return JSON.parse(localStorage.getItem(KEY) ?? '{}') as UploadPrefs;
  } catch {
    return {};
  }
}

export function savePrefs(prefs: UploadPrefs): void {
  try {
    localStorage.setItem(KEY, JSON.stringify(prefs));
  } catch {
    // storage full or disabled: the form just forgets
  }
}
