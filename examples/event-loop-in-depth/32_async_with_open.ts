import { run } from "../../mod.ts";
import { print } from "../_print.ts";

// open()返回的文件对象,这里只需要read和close
interface TextFile {
  read(): string;
  close(): void;
}

// Python内置的open()的一个极简版本:只支持以文本方式读取整个文件
function open(file: string | URL, mode: string, encoding: string): TextFile {
  const fd = Deno.openSync(file, { read: mode.includes("r") });
  return {
    read(): string {
      const buf = new Uint8Array(fd.statSync().size);
      let n = 0;
      while (n < buf.length) {
        const got = fd.readSync(buf.subarray(n));
        if (got === null) break;
        n += got;
      }
      return new TextDecoder(encoding).decode(buf.subarray(0, n));
    },
    close: () => fd.close(),
  };
}

class Open {
  #fd: TextFile | null = null;

  constructor(
    public file: string | URL,
    public mode: string,
    public encoding: string,
  ) {}

  // 对应__aenter__,要使用async定义
  // deno-lint-ignore require-await
  async enter(): Promise<TextFile> {
    this.#fd = open(this.file, this.mode, this.encoding);
    return this.#fd;
  }

  // 对应__aexit__,同样使用async定义
  // deno-lint-ignore require-await
  async [Symbol.asyncDispose](): Promise<void> {
    this.#fd?.close();
  }
}

// 既然是async就必须要创建协程,扔到事件循环里面运行
async function main(
  file: string | URL,
  mode = "r",
  encoding = "utf-8",
): Promise<void> {
  // async with Open(file, mode, encoding) as f:
  await using opened = new Open(file, mode, encoding);
  const f = await opened.enter();
  print(f.read());
}

// 文件放在本文件旁边的data目录里
await run(() => main(new URL("./data/白色相簿.txt", import.meta.url)));
/*
为什么你那么熟练啊
*/
// 可以看到我们自己实现了一个async with(await using),但是注意这个不是异步的,我们还是调用了同步的open函数。
