# 2.4.1 非阻塞流介绍:把教程里的代码片段放进一个完整的程序。
# 原文的片段连接的是 www.baidu.com 的80端口(或443端口,ssl=True);这里在同一个程序里
# 用 start_server 在 127.0.0.1 上启动一个回显服务器(端口0:由系统挑一个空闲的端口),
# 再用 open_connection 连接它,按教程的顺序演示 StreamWriter 和 StreamReader 的方法。
import asyncio


# 定义一个处理客户端连接的函数
# 每当有客户端连接到服务器时,这个函数就会被调用,它收到一对对象:
# 从客户端读取数据的 reader(StreamReader)和向客户端发送数据的 writer(StreamWriter)
async def handler(reader, writer):
    # 回显服务器:收到什么就发回什么,直到客户端关闭了它那一端的写入(EOF)
    while True:
        # 读取指定字节数的数据(最多100个字节)
        byte_data = await reader.read(n=100)
        if not byte_data:  # 读到 b'' 表示文件末尾(EOF)
            break
        print('服务器收到:', byte_data)
        writer.write(byte_data)
        await writer.drain()
    print('服务器: 客户端不再发送数据,关闭连接')
    writer.close()
    await writer.wait_closed()


async def main():
    # 启动侦听服务
    # 使用指定的处理器、地址和端口号启动服务器(端口号0:由系统挑选,原文是80)
    server = await asyncio.start_server(handler, '127.0.0.1', 0)
    host, port = server.sockets[0].getsockname()
    print('服务器正在监听:', server.is_serving())

    # 打开连接
    # 打开与服务器的连接,返回一对(reader、writer)对象
    reader, writer = await asyncio.open_connection(host, port)
    print('已连接到服务器')

    # 使用StreamWriter写入数据
    # 写入字节数据
    writer.write(b'hello asyncio\n')
    # 等待数据传输
    await writer.drain()

    # 使用StreamReader读取数据
    # (read()会一直读到文件末尾(EOF),也就是服务器关闭连接为止,所以放到最后演示)
    # 读取指定字节数的数据
    byte_data = await reader.read(n=100)
    print('read(n=100):', byte_data)

    # 读取一行数据:读到换行符 \n 为止,返回的是字节数据
    writer.write(b'first line\nsecond line\n')
    await writer.drain()
    byte_line = await reader.readline()
    print('readline():', byte_line)
    # 将字节解码为字符串
    line_data = (await reader.readline()).decode()
    print('readline().decode():', line_data.strip())

    # readexactly() 读取确切数量的字节
    writer.write(b'1234567890')
    await writer.drain()
    print('readexactly(4):', await reader.readexactly(4))
    print('readexactly(6):', await reader.readexactly(6))

    # readuntil() 读取字节数据,直到遇到指定的字节字符为止
    writer.write(b'key=value;rest\n')
    await writer.drain()
    print("readuntil(b';'):", await reader.readuntil(b';'))
    print('readline():', await reader.readline())

    # read() 一直读取,直到文件末尾(EOF):
    # 客户端发送最后的数据后关闭自己这一端的写入,服务器回显之后关闭连接
    writer.write(b'last words')
    writer.write_eof()
    byte_data = await reader.read()
    print('read():', byte_data)

    # 如果读取的字节数不足,readexactly() 会引发异常
    try:
        await reader.readexactly(5)
    except asyncio.IncompleteReadError as e:
        print('readexactly(5):', type(e).__name__, e, e.partial)

    # 关闭连接
    # 检查套接字是否已关闭或正在关闭
    print('is_closing():', writer.is_closing())
    # 关闭套接字(不会阻塞)
    writer.close()
    print('close() 之后 is_closing():', writer.is_closing())
    # 等待套接字关闭
    await writer.wait_closed()
    print('连接已关闭')

    server.close()
    await server.wait_closed()
    print('服务器已关闭')


asyncio.run(main())
