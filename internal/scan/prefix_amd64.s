#include "textflag.h"

// func indexPrefixAVX2(p *byte, n int) (at, newlines, ats int)
//
// Each round compares the 32 bytes at i, i+1, ... i+4 with 'O', 'D', 'P',
// 'S', '-' and ANDs the five: a bit of the mask is a position where
// "ODPS-" starts. Unlike a search for one of its bytes, a round costs the
// same however many P's (or O's) the text holds. The round's bytes are
// compared with '\n' too, and the bits counted (POPCNT): the lines are
// numbered in the same pass (R9), up to the match in its round. And they
// are compared with '@', the bits ORed into Y15: whether the rounds held
// one (the match's round is whole, the bytes after the match too).
TEXT ·indexPrefixAVX2(SB), NOSPLIT, $0-40
	MOVQ p+0(FP), SI
	MOVQ n+8(FP), CX
	MOVQ $0x4F, AX // 'O'
	MOVQ AX, X1
	VPBROADCASTB X1, Y1
	MOVQ $0x44, AX // 'D'
	MOVQ AX, X2
	VPBROADCASTB X2, Y2
	MOVQ $0x50, AX // 'P'
	MOVQ AX, X3
	VPBROADCASTB X3, Y3
	MOVQ $0x53, AX // 'S'
	MOVQ AX, X4
	VPBROADCASTB X4, Y4
	MOVQ $0x2D, AX // '-'
	MOVQ AX, X5
	VPBROADCASTB X5, Y5
	MOVQ $0x0A, AX // '\n'
	MOVQ AX, X0
	VPBROADCASTB X0, Y0
	MOVQ $0x40, AX // '@'
	MOVQ AX, X13
	VPBROADCASTB X13, Y13
	VPXOR Y15, Y15, Y15
	XORQ DX, DX
	XORQ R9, R9

loop:
	CMPQ DX, CX
	JAE  notfound
	VMOVDQU  (SI)(DX*1), Y11
	VPCMPEQB Y11, Y0, Y12
	VPMOVMSKB Y12, R10
	VPCMPEQB Y11, Y13, Y14
	VPOR     Y14, Y15, Y15
	VPCMPEQB Y11, Y1, Y6
	VPCMPEQB 1(SI)(DX*1), Y2, Y7
	VPAND    Y6, Y7, Y6
	VPCMPEQB 2(SI)(DX*1), Y3, Y8
	VPCMPEQB 3(SI)(DX*1), Y4, Y9
	VPAND    Y8, Y9, Y8
	VPCMPEQB 4(SI)(DX*1), Y5, Y10
	VPAND    Y6, Y8, Y6
	VPAND    Y6, Y10, Y6
	VPMOVMSKB Y6, AX
	TESTL    AX, AX
	JNZ      found
	POPCNTL  R10, R10
	ADDQ     R10, R9
	ADDQ     $32, DX
	JMP      loop

found:
	BSFL AX, AX
	// The round's newlines before the match: bits below AX.
	MOVL $1, R11
	MOVQ AX, CX
	SHLQ CX, R11
	DECQ R11
	ANDQ R11, R10
	POPCNTQ R10, R10
	ADDQ R10, R9
	ADDQ DX, AX
	MOVQ AX, at+16(FP)
	MOVQ R9, newlines+24(FP)
	VPMOVMSKB Y15, R11
	MOVQ R11, ats+32(FP)
	VZEROUPPER
	RET

notfound:
	MOVQ $-1, at+16(FP)
	MOVQ R9, newlines+24(FP)
	VPMOVMSKB Y15, R11
	MOVQ R11, ats+32(FP)
	VZEROUPPER
	RET
