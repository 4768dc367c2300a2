package io.gatehouse.agent;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The agent's one set of Netty event loops (epoll where available, else NIO), shared by the gRPC server
 * that the gateway calls and by every connection to a model server. A Forward arrives on one of these
 * threads and its upstream exchange runs on the same one, so a request crosses no thread.
 */
final class EventLoops implements AutoCloseable {

    private final EventLoopGroup group;
    private final List<EventLoop> loops;
    private final boolean epoll;
    private final ThreadPoolExecutor blocking;

    EventLoops(int threads) {
        this.epoll = Epoll.isAvailable();
        DefaultThreadFactory factory = new DefaultThreadFactory("gatehouse-agent-io", true);
        this.group = epoll ? new EpollEventLoopGroup(threads, factory) : new NioEventLoopGroup(threads, factory);
        List<EventLoop> list = new ArrayList<>();
        for (EventExecutor executor : group) {
            list.add((EventLoop) executor);
        }
        this.loops = List.copyOf(list);
        DefaultThreadFactory dns = new DefaultThreadFactory("gatehouse-agent-dns", true);
        this.blocking = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), dns);
        this.blocking.allowCoreThreadTimeOut(true);
    }

    /** One loop per core: the work per request is small, and more threads only cost hand-offs. */
    static EventLoops forThisMachine() {
        return new EventLoops(Math.max(1, Runtime.getRuntime().availableProcessors()));
    }

    EventLoopGroup group() {
        return group;
    }

    List<EventLoop> all() {
        return loops;
    }

    /** The loop the calling thread runs, or the next one when it runs none of them. */
    EventLoop current() {
        for (EventLoop loop : loops) {
            if (loop.inEventLoop()) {
                return loop;
            }
        }
        return group.next();
    }

    Class<? extends ServerChannel> serverChannelType() {
        return epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    Class<? extends SocketChannel> socketChannelType() {
        return epoll ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    /** For the few calls that may block (host name lookups), never on an event loop. */
    ExecutorService blocking() {
        return blocking;
    }

    @Override
    public void close() {
        blocking.shutdownNow();
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}
