#include "textflag.h"

// func pairsFoldAVX2(p *byte, n int, a0, a1, c0, c1 byte) int
//
// Each round loads the 32 bytes at i and the 32 at i+1, sets 0x20 in
// every byte (lower-cases letters), compares them with the pairs' first
// and second letters and ANDs the two: a bit of the mask is a position
// where a pair starts.
TEXT ·pairsFoldAVX2(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVBQZX a0+16(FP), AX
	MOVQ AX, X1
	VPBROADCASTB X1, Y1
	MOVBQZX a1+17(FP), AX
	MOVQ AX, X2
	VPBROADCASTB X2, Y2
	MOVBQZX c0+18(FP), AX
	MOVQ AX, X3
	VPBROADCASTB X3, Y3
	MOVBQZX c1+19(FP), AX
	MOVQ AX, X4
	VPBROADCASTB X4, Y4
	MOVQ $0x20, AX
	MOVQ AX, X5
	VPBROADCASTB X5, Y5
	XORQ DX, DX

loop:
	CMPQ DX, CX
	JAE  notfound
	VMOVDQU (SI)(DX*1), Y6
	VMOVDQU 1(SI)(DX*1), Y7
	VPOR    Y5, Y6, Y6
	VPOR    Y5, Y7, Y7
	VPCMPEQB Y1, Y6, Y8
	VPCMPEQB Y2, Y7, Y9
	VPAND   Y8, Y9, Y8
	VPCMPEQB Y3, Y6, Y10
	VPCMPEQB Y4, Y7, Y11
	VPAND   Y10, Y11, Y10
	VPOR    Y8, Y10, Y8
	VPMOVMSKB Y8, AX
	TESTL   AX, AX
	JNZ     found
	ADDQ    $32, DX
	JMP     loop

found:
	BSFL AX, AX
	ADDQ DX, AX
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

notfound:
	MOVQ $-1, ret+24(FP)
	VZEROUPPER
	RET

// func quadsFoldAVX2(p *byte, n int, a, c uint32) int
//
// quadsFold's rounds: the 32 bytes at i, i+1, i+2 and i+3, lower-cased,
// compared with the four letters of a and of c (a's first in its low
// byte); a bit of the mask is where either starts.
TEXT ·quadsFoldAVX2(SB), NOSPLIT, $0-32
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVL a+16(FP), AX
	MOVL c+20(FP), BX
	MOVQ AX, X0
	VPBROADCASTB X0, Y0
	SHRL $8, AX
	MOVQ AX, X1
	VPBROADCASTB X1, Y1
	SHRL $8, AX
	MOVQ AX, X2
	VPBROADCASTB X2, Y2
	SHRL $8, AX
	MOVQ AX, X3
	VPBROADCASTB X3, Y3
	MOVQ BX, X4
	VPBROADCASTB X4, Y4
	SHRL $8, BX
	MOVQ BX, X5
	VPBROADCASTB X5, Y5
	SHRL $8, BX
	MOVQ BX, X6
	VPBROADCASTB X6, Y6
	SHRL $8, BX
	MOVQ BX, X7
	VPBROADCASTB X7, Y7
	MOVQ $0x20, AX
	MOVQ AX, X8
	VPBROADCASTB X8, Y8
	XORQ DX, DX

qloop:
	CMPQ DX, CX
	JAE  qnotfound
	VMOVDQU (SI)(DX*1), Y9
	VMOVDQU 1(SI)(DX*1), Y10
	VMOVDQU 2(SI)(DX*1), Y11
	VMOVDQU 3(SI)(DX*1), Y12
	VPOR    Y8, Y9, Y9
	VPOR    Y8, Y10, Y10
	VPOR    Y8, Y11, Y11
	VPOR    Y8, Y12, Y12
	VPCMPEQB Y0, Y9, Y13
	VPCMPEQB Y1, Y10, Y14
	VPAND   Y13, Y14, Y13
	VPCMPEQB Y2, Y11, Y14
	VPAND   Y13, Y14, Y13
	VPCMPEQB Y3, Y12, Y14
	VPAND   Y13, Y14, Y13
	VPCMPEQB Y4, Y9, Y15
	VPCMPEQB Y5, Y10, Y14
	VPAND   Y15, Y14, Y15
	VPCMPEQB Y6, Y11, Y14
	VPAND   Y15, Y14, Y15
	VPCMPEQB Y7, Y12, Y14
	VPAND   Y15, Y14, Y15
	VPOR    Y13, Y15, Y13
	VPMOVMSKB Y13, AX
	TESTL   AX, AX
	JNZ     qfound
	ADDQ    $32, DX
	JMP     qloop

qfound:
	BSFL AX, AX
	ADDQ DX, AX
	MOVQ AX, ret+24(FP)
	VZEROUPPER
	RET

qnotfound:
	MOVQ $-1, ret+24(FP)
	VZEROUPPER
	RET
