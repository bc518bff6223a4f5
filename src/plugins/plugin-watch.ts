import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";

/**
 * Calls `onChange` once a plugin file has stopped changing for `debounceMs`.
 * The folder is watched, not the file: editors and build tools replace a
 * file by writing a new one and renaming it over the old, which ends a watch
 * on the old file's inode; and a copy arrives in several writes, which the
 * debounce folds into one reload of the finished file.
 */
export function watchPluginFile(path: string, debounceMs: number, onChange: () => void): () => void {
  const name = basename(path);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let watcher: FSWatcher | undefined = watch(dirname(path), { persistent: false }, (_event, changed) => {
    if (changed !== null && changed !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  // A folder that disappears ends the watch; the plugin keeps running as loaded.
  watcher.on("error", () => stop());
  const stop = () => {
    clearTimeout(timer);
    watcher?.close();
    watcher = undefined;
  };
  return stop;
}
