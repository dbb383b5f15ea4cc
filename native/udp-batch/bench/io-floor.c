/*
 * Kernel floor of the media worker's per-tick datagram I/O on this machine (not part of the
 * addon; a measuring tool behind the io_uring decision in docs/media.md). 3,000 loopback UDP
 * sockets, like 1,000 monitored calls; for each mode, the minimum thread CPU time over 60 ticks
 * (the minimum is robust against other processes on a shared machine):
 *   send: one 172-byte datagram from each socket — io_uring SENDMSG, io_uring SEND with the
 *         destination in addr2, and one sendmmsg() per socket (the previous path);
 *   recv: one datagram waiting on each socket — epoll_wait + io_uring RECVMSG per ready socket,
 *         and epoll_wait + recvmmsg() per ready socket (the previous path).
 *
 *     cc -O2 -o /tmp/io-floor native/udp-batch/bench/io-floor.c && /tmp/io-floor
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/io_uring.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
struct ring { int fd; unsigned *sq_tail,*sq_mask,*cq_head,*cq_tail,*cq_mask; struct io_uring_sqe *sqes; struct io_uring_cqe *cqes; };
static int ring_init(struct ring *r, unsigned entries){
  struct io_uring_params p; memset(&p,0,sizeof p);
  p.flags = IORING_SETUP_SINGLE_ISSUER|IORING_SETUP_DEFER_TASKRUN|IORING_SETUP_SUBMIT_ALL|IORING_SETUP_CQSIZE; p.cq_entries = entries*2;
  int fd = syscall(__NR_io_uring_setup, entries, &p); if (fd<0) return -1; r->fd=fd;
  size_t sqsz = p.sq_off.array + p.sq_entries*sizeof(unsigned), cqsz = p.cq_off.cqes + p.cq_entries*sizeof(struct io_uring_cqe); if (cqsz>sqsz) sqsz=cqsz;
  uint8_t *sq = mmap(0,sqsz,PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,IORING_OFF_SQ_RING);
  r->sq_tail=(unsigned*)(sq+p.sq_off.tail); r->sq_mask=(unsigned*)(sq+p.sq_off.ring_mask); unsigned *arr=(unsigned*)(sq+p.sq_off.array);
  r->cq_head=(unsigned*)(sq+p.cq_off.head); r->cq_tail=(unsigned*)(sq+p.cq_off.tail); r->cq_mask=(unsigned*)(sq+p.cq_off.ring_mask); r->cqes=(struct io_uring_cqe*)(sq+p.cq_off.cqes);
  r->sqes = mmap(0,p.sq_entries*sizeof(struct io_uring_sqe),PROT_READ|PROT_WRITE,MAP_SHARED|MAP_POPULATE,fd,IORING_OFF_SQES);
  for (unsigned i=0;i<p.sq_entries;i++) arr[i]=i;
  return 0;
}
static struct io_uring_sqe *sqe_get(struct ring *r){ unsigned t=*r->sq_tail; struct io_uring_sqe *s=&r->sqes[t & *r->sq_mask]; memset(s,0,sizeof *s); __atomic_store_n(r->sq_tail,t+1,__ATOMIC_RELEASE); return s; }
static double tcpu(void){struct timespec t;clock_gettime(CLOCK_THREAD_CPUTIME_ID,&t);return t.tv_sec+t.tv_nsec/1e9;}
#define N 3000
static void bench_send(void){
  int sink=socket(AF_INET,SOCK_DGRAM|SOCK_NONBLOCK,0); int big=8<<20; setsockopt(sink,SOL_SOCKET,SO_RCVBUFFORCE,&big,4);
  struct sockaddr_in sa={.sin_family=AF_INET}; inet_pton(AF_INET,"127.0.0.1",&sa.sin_addr); bind(sink,(void*)&sa,sizeof sa); socklen_t l=sizeof sa; getsockname(sink,(void*)&sa,&l);
  static int fds[N]; for(int i=0;i<N;i++){fds[i]=socket(AF_INET,SOCK_DGRAM|SOCK_NONBLOCK,0); struct sockaddr_in a={.sin_family=AF_INET}; inet_pton(AF_INET,"127.0.0.1",&a.sin_addr); bind(fds[i],(void*)&a,sizeof a);}
  struct ring r; if(ring_init(&r,4096)) {perror("io_uring_setup");exit(1);}
  static uint8_t pkt[172]; static struct msghdr h[N]; static struct iovec io[N]; static struct sockaddr_in to[N];
  static uint8_t rb[64][256]; static struct mmsghdr rm[64]; static struct iovec ri[64];
  for(int i=0;i<64;i++){ri[i].iov_base=rb[i];ri[i].iov_len=256;rm[i].msg_hdr.msg_iov=&ri[i];rm[i].msg_hdr.msg_iovlen=1;}
  double best[3]={1e9,1e9,1e9}; int errs=0;
  for(int it=0;it<60;it++) for(int mode=0;mode<3;mode++){
    double c0=tcpu();
    if(mode==2){ for(int i=0;i<N;i++){ struct mmsghdr mm; memset(&mm,0,sizeof mm); to[i]=sa; io[i].iov_base=pkt; io[i].iov_len=172; mm.msg_hdr.msg_name=&to[i]; mm.msg_hdr.msg_namelen=sizeof to[i]; mm.msg_hdr.msg_iov=&io[i]; mm.msg_hdr.msg_iovlen=1; if(sendmmsg(fds[i],&mm,1,MSG_DONTWAIT)!=1) errs++; } double c=tcpu()-c0; if(c<best[2])best[2]=c; while(recvmmsg(sink,rm,64,MSG_DONTWAIT,0)>0); continue; }
    for(int i=0;i<N;i++){ to[i]=sa; io[i].iov_base=pkt; io[i].iov_len=172; struct io_uring_sqe*s=sqe_get(&r); s->fd=fds[i]; s->msg_flags=MSG_DONTWAIT; s->user_data=i;
      if(mode==0){ memset(&h[i],0,sizeof h[i]); h[i].msg_name=&to[i]; h[i].msg_namelen=sizeof to[i]; h[i].msg_iov=&io[i]; h[i].msg_iovlen=1; s->opcode=IORING_OP_SENDMSG; s->addr=(uintptr_t)&h[i]; s->len=1; }
      else { s->opcode=IORING_OP_SEND; s->addr=(uintptr_t)pkt; s->len=172; s->addr2=(uintptr_t)&to[i]; s->addr_len=sizeof to[i]; } }
    syscall(__NR_io_uring_enter, r.fd, N, N, IORING_ENTER_GETEVENTS, NULL, 0);
    unsigned hd=*r.cq_head, tl=__atomic_load_n(r.cq_tail,__ATOMIC_ACQUIRE); for(;hd!=tl;hd++) if(r.cqes[hd&*r.cq_mask].res<0) errs++; __atomic_store_n(r.cq_head,hd,__ATOMIC_RELEASE);
    double c=tcpu()-c0; if(c<best[mode])best[mode]=c;
    while(recvmmsg(sink,rm,64,MSG_DONTWAIT,0)>0);
  }
  printf("io_uring send, min over 60 ticks of %d: SENDMSG %.0f ns/packet, SEND+addr2 %.0f ns/packet, sendmmsg per socket %.0f ns/packet (errors %d)\n",N,best[0]*1e9/N,best[1]*1e9/N,best[2]*1e9/N,errs);
}

static void bench_recv(void){
  int src=socket(AF_INET,SOCK_DGRAM,0); int big=8<<20; setsockopt(src,SOL_SOCKET,SO_SNDBUFFORCE,&big,4);
  static int fds[N]; static struct sockaddr_in ea[N]; int ep=epoll_create1(0);
  for(int i=0;i<N;i++){fds[i]=socket(AF_INET,SOCK_DGRAM|SOCK_NONBLOCK,0); ea[i].sin_family=AF_INET; inet_pton(AF_INET,"127.0.0.1",&ea[i].sin_addr); bind(fds[i],(void*)&ea[i],sizeof ea[i]); socklen_t l=sizeof ea[i]; getsockname(fds[i],(void*)&ea[i],&l);
    struct epoll_event ev={.events=EPOLLIN,.data.u64=i}; epoll_ctl(ep,EPOLL_CTL_ADD,fds[i],&ev);}
  struct ring r; if(ring_init(&r,4096)) {perror("io_uring_setup");exit(1);}
  static uint8_t pkt[172]; static struct mmsghdr sm[N]; static struct iovec sio[N];
  for(int i=0;i<N;i++){sio[i].iov_base=pkt;sio[i].iov_len=172;sm[i].msg_hdr.msg_name=&ea[i];sm[i].msg_hdr.msg_namelen=sizeof ea[i];sm[i].msg_hdr.msg_iov=&sio[i];sm[i].msg_hdr.msg_iovlen=1;}
  static uint8_t *rx; rx=malloc((size_t)4096*1500);
  static struct msghdr h[N]; static struct iovec io[N]; static struct sockaddr_in from[N]; static struct epoll_event evs[4096];
  double best[2]={1e9,1e9}; long got[2]={0,0};
  for(int it=0;it<60;it++) for(int mode=0;mode<2;mode++){
    for(int b=0;b<N;b+=512) sendmmsg(src,sm+b,N-b<512?N-b:512,0);
    double c0=tcpu();
    int k=epoll_wait(ep,evs,4096,0);
    if(mode==0){
      for(int e=0;e<k;e++){int i=evs[e].data.u64; io[e].iov_base=rx+(size_t)e*1500; io[e].iov_len=1500; memset(&h[e],0,sizeof h[e]); h[e].msg_name=&from[e]; h[e].msg_namelen=sizeof from[e]; h[e].msg_iov=&io[e]; h[e].msg_iovlen=1;
        struct io_uring_sqe*s=sqe_get(&r); s->opcode=IORING_OP_RECVMSG; s->fd=fds[i]; s->addr=(uintptr_t)&h[e]; s->len=1; s->msg_flags=MSG_DONTWAIT|MSG_TRUNC; s->user_data=e;}
      syscall(__NR_io_uring_enter, r.fd, k, k, IORING_ENTER_GETEVENTS, NULL, 0);
      unsigned hd=*r.cq_head, tl=__atomic_load_n(r.cq_tail,__ATOMIC_ACQUIRE); for(;hd!=tl;hd++) if(r.cqes[hd&*r.cq_mask].res>0) got[0]++; __atomic_store_n(r.cq_head,hd,__ATOMIC_RELEASE);
    } else {
      static struct mmsghdr rm[64]; static struct iovec ri[64];
      for(int e=0;e<k;e++){int i=evs[e].data.u64; for(int j=0;j<64;j++){ri[j].iov_base=rx+(size_t)(e+j)*1500;ri[j].iov_len=1500;memset(&rm[j].msg_hdr,0,sizeof rm[j].msg_hdr);rm[j].msg_hdr.msg_name=&from[j];rm[j].msg_hdr.msg_namelen=sizeof from[0];rm[j].msg_hdr.msg_iov=&ri[j];rm[j].msg_hdr.msg_iovlen=1;}
        int q=recvmmsg(fds[i],rm,64,MSG_DONTWAIT,0); if(q>0)got[1]+=q;}
    }
    double c=tcpu()-c0; if(c<best[mode])best[mode]=c;
  }
  printf("receive one datagram on each of %d sockets (epoll_wait + reads), min over 60 ticks: io_uring RECVMSG %.0f ns/packet, recvmmsg per socket %.0f ns/packet (got %ld %ld)\n",N,best[0]*1e9/N,best[1]*1e9/N,got[0],got[1]);
}

int main(void) {
  bench_send();
  bench_recv();
  return 0;
}
